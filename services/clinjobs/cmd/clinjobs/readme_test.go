package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/openapi"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/services/clinjobs/allinone"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
	"github.com/clinjobs/clinjobs/services/dashboard"
	"github.com/clinjobs/clinjobs/services/ingest"
	"github.com/clinjobs/clinjobs/services/matching"
	"github.com/clinjobs/clinjobs/services/notification"
)

// TestREADME runs the README's "Try it" and "Alerts" blocks as they are
// written, with bash, curl and python3, against the all-in-one and the
// receiver of `clinjobs receive`, and checks every answer: its status, what
// it says, and that it is as the service's OpenAPI document describes. The
// only changes to the text are the addresses (the test's free ports instead
// of 8080-8083 and 9000, its data directory instead of data/, a directory
// of its own instead of /tmp/) and the live stream, read for two seconds
// instead of until Ctrl-C. Between the blocks' steps (a comment starts one)
// the script waits, as a reader would, until every consumer has caught up.
func TestREADME(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's examples need %s (apt-get install %s): %v", tool, tool, err)
		}
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	tryIt, alerts := shBlocks(section(string(readme), "## Try it")), shBlocks(section(string(readme), "## Alerts"))
	if len(tryIt) != 2 || len(alerts) != 1 {
		t.Fatalf("the README's Try it has %d sh blocks (want the receiver's and the walkthrough), Alerts %d (want 1)", len(tryIt), len(alerts))
	}
	const receiverCmd = "go run ./services/clinjobs/cmd/clinjobs receive 127.0.0.1:9000"
	if !strings.Contains(tryIt[0], receiverCmd) {
		t.Fatalf("Try it's receiver is not %q:\n%s", receiverCmd, tryIt[0])
	}

	dir := t.TempDir()
	sys, err := allinone.Start(t.Context(), allinone.Config{DataDir: dir, NATSPort: -1, AllowPrivateWebhooks: true,
		IngestAddr: "127.0.0.1:0", MatchingAddr: "127.0.0.1:0", NotificationAddr: "127.0.0.1:0", DashboardAddr: "127.0.0.1:0",
		WebAddr: "127.0.0.1:0"},
		logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})

	// The receiver, as `clinjobs receive` runs it, on a port of its choosing.
	received := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"receive", "127.0.0.1:0"}, received, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("receiver: %v", err)
		}
	})
	var receiverAddr string
	e2etest.Eventually(t, 10*time.Second, func() (bool, string) {
		m := regexp.MustCompile(`Receiving webhooks at http://([^/]+)/`).FindStringSubmatch(received.String())
		if m != nil {
			receiverAddr = m[1]
		}
		return m != nil, "waiting for the receiver to listen"
	})

	rec := &recorder{}
	proxy := map[string]string{}
	for _, s := range []struct{ name, port string }{{"ingest", "8080"}, {"matching", "8081"}, {"notification", "8082"}, {"dashboard", "8083"}} {
		target, err := url.Parse(sys.URL(s.name))
		if err != nil {
			t.Fatal(err)
		}
		p := httputil.NewSingleHostReverseProxy(target)
		p.Transport = &recordingTransport{service: s.name, rec: rec}
		srv := httptest.NewServer(p)
		t.Cleanup(srv.Close)
		proxy["localhost:"+s.port] = strings.TrimPrefix(srv.URL, "http://")
	}
	settle := httptest.NewServer(settleHandler(sys.NATSURL(), e2etest.NATSAs(t, sys.SecretsDir(), "dashboard")...))
	t.Cleanup(settle.Close)

	tmp := t.TempDir()
	substitute := strings.NewReplacer(
		"localhost:8080", proxy["localhost:8080"], "localhost:8081", proxy["localhost:8081"],
		"localhost:8082", proxy["localhost:8082"], "localhost:8083", proxy["localhost:8083"],
		"127.0.0.1:9000", receiverAddr, "data/operator.key", filepath.Join(dir, "operator.key"),
		"/tmp/", tmp+"/", "curl -N ", "read_events ")
	prelude := fmt.Sprintf(`set -euo pipefail
settle() { curl -sSf %s/settle >/dev/null; }
read_events() { curl -sN --max-time 2 "$@" || [ $? -eq 28 ]; }
`, settle.URL)
	script := prelude + substitute.Replace(steps(tryIt[1])) + "\n" + substitute.Replace(steps(alerts[0]))

	cmd := exec.CommandContext(t.Context(), "bash", "-c", script)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's blocks failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("the README's blocks wrote to stderr:\n%s", stderr.String())
	}

	answers := rec.all()
	checkAnswers(t, answers)

	// Every answer is as its service's document says.
	docs := map[string]*openapi.Document{"ingest": ingest.Document(), "matching": matching.Document(),
		"notification": notification.Document(), "dashboard": dashboard.Document()}
	validators := map[string]*openapitest.Validator{}
	for name, doc := range docs {
		openapitest.CheckDocument(t, doc)
		validators[name] = openapitest.NewValidator(t, doc)
	}
	for _, a := range answers {
		if err := validators[a.service].Check(a.method, a.path, a.status, a.contentType, a.body); err != nil {
			t.Errorf("%s: %v\n%s", a.service, err, a.body)
		}
	}

	// The receiver printed the walkthrough's alert about the vacancy posted.
	vac := answers[3].jsonField(t, "id")
	e2etest.Eventually(t, 20*time.Second, func() (bool, string) {
		out := received.String()
		return strings.Contains(out, "/hooks/asha webhook-id msg_") && strings.Contains(out, `"type": "vacancy.matched"`) &&
			strings.Contains(out, vac), "waiting for the receiver to print the alert about " + vac + ":\n" + out
	})
}

// expectation is what one of the README's requests must be answered.
type expectation struct {
	method, service, path string // path is a regular expression
	status                int
	says                  []string // strings the answer must hold
}

// The README's requests in order: Try it, then Alerts.
var readmeAnswers = []expectation{
	{"POST", "ingest", `^/v1/trusts$`, 201, []string{`"code":"RJ1"`, `"key":"cjt`}},
	{"POST", "ingest", `^/v1/candidates$`, 201, []string{`"token":"cjc`}},
	{"POST", "notification", `^/v1/candidates/[^/]+/subscriptions$`, 201, []string{`"channel":"webhook"`, `"secret":"whsec_`}},
	{"POST", "ingest", `^/v1/vacancies$`, 201, []string{`"reference":"GSTT-CE-0142"`, `"status":"open"`}},
	{"GET", "matching", `^/v1/candidates/[^/]+/matches$`, 200, []string{`"total":1`, `"title":"Clinical Technologist, Medical Equipment Management"`, `"reasons":["`}},
	{"GET", "ingest", `^/v1/vacancies/[^/]+$`, 200, nil},
	{"PUT", "ingest", `^/v1/vacancies/[^/]+$`, 200, []string{`"band":"6"`}},
	{"GET", "ingest", `^/v1/vacancies/[^/]+/stats$`, 200, []string{`"matched":1`, `"alerted":1`}},
	{"GET", "ingest", `^/v1/trust/vacancies$`, 200, []string{`"reference":"GSTT-CE-0142"`}},
	{"GET", "ingest", `^/v1/vacancies$`, 200, []string{`"reference":"GSTT-CE-0142"`}},
	{"GET", "ingest", `^/v1/vacancies/[^/]+$`, 200, []string{`"@type":"JobPosting"`}},
	{"POST", "ingest", `^/v1/vacancies/[^/]+/close$`, 200, []string{`"status":"closed"`}},
	{"POST", "ingest", `^/v1/vacancies/bulk$`, 200, []string{`"accepted":3,"rejected":0`}},
	{"GET", "ingest", `^/v1/candidates/[^/]+/export$`, 200, []string{`asha.patel@example.org`}},
	{"DELETE", "ingest", `^/v1/candidates/[^/]+$`, 204, nil},
	{"GET", "dashboard", `^/v1/dashboard/services$`, 200, []string{`"name":"ingest"`, `"name":"matching"`, `"name":"notification"`, `"name":"dashboard"`}},
	{"GET", "dashboard", `^/v1/dashboard/flow$`, 200, []string{`"streams":[`}},

	{"POST", "ingest", `^/v1/candidates$`, 201, []string{`"token":"cjc`}},
	{"POST", "notification", `^/v1/candidates/[^/]+/subscriptions$`, 201, []string{`"channel":"webhook"`}},
	{"POST", "notification", `^/v1/candidates/[^/]+/subscriptions$`, 422, []string{`email`}},
	{"POST", "notification", `^/v1/candidates/[^/]+/subscriptions$`, 201, []string{`"channel":"sse"`}},
	{"GET", "notification", `^/v1/candidates/[^/]+/events$`, 200, nil},
	{"POST", "notification", `^/v1/candidates/[^/]+/subscriptions/[^/]+/pause$`, 200, []string{`"paused":true`}},
	{"PATCH", "notification", `^/v1/candidates/[^/]+/subscriptions/[^/]+$`, 200, []string{`"min_band":"6"`, `"role_families":["engineer","clinical_technologist"]`}},
	{"GET", "notification", `^/v1/candidates/[^/]+/deliveries$`, 200, []string{`"deliveries":[`}},
}

func checkAnswers(t *testing.T, answers []answer) {
	t.Helper()
	for i, a := range answers {
		if i >= len(readmeAnswers) {
			t.Errorf("answer %d, %s %s %s %d, is one more than the README's requests known here", i, a.service, a.method, a.path, a.status)
			continue
		}
		want := readmeAnswers[i]
		if a.method != want.method || a.service != want.service || !regexp.MustCompile(want.path).MatchString(a.path) {
			t.Errorf("request %d is %s %s %s, want %s %s %s", i, a.service, a.method, a.path, want.service, want.method, want.path)
			continue
		}
		if a.status != want.status {
			t.Errorf("%s %s %s answered %d, want %d: %s", a.service, a.method, a.path, a.status, want.status, a.body)
			continue
		}
		compact := a.compact()
		for _, s := range want.says {
			if !strings.Contains(compact, s) {
				t.Errorf("%s %s %s answered without %s: %s", a.service, a.method, a.path, s, compact)
			}
		}
	}
	if len(answers) < len(readmeAnswers) {
		t.Errorf("the README made %d requests, want %d", len(answers), len(readmeAnswers))
	}
}

// answer is one request of the README's and its answer, as the proxy saw them.
type answer struct {
	service, method, path string
	status                int
	contentType           string
	body                  []byte
}

// compact is the body with JSON's insignificant space removed.
func (a answer) compact() string {
	var b bytes.Buffer
	if json.Compact(&b, a.body) != nil {
		return string(a.body)
	}
	return b.String()
}

func (a answer) jsonField(t *testing.T, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("%s %s answered %q: %v", a.method, a.path, a.body, err)
	}
	s, _ := m[name].(string)
	return s
}

type recorder struct {
	mu      sync.Mutex
	answers []answer
}

func (r *recorder) add(a answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers = append(r.answers, a)
}

func (r *recorder) all() []answer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]answer(nil), r.answers...)
}

// recordingTransport carries the proxy's requests and keeps each answer. A
// live stream's body is left to flow: its status and type are kept.
type recordingTransport struct {
	service string
	rec     *recorder
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	a := answer{service: rt.service, method: req.Method, path: req.URL.Path, status: resp.StatusCode, contentType: resp.Header.Get("Content-Type")}
	if !strings.HasPrefix(a.contentType, "text/event-stream") {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		a.body = body
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	rt.rec.add(a)
	return resp, nil
}

// settleHandler answers once no durable consumer has work left, so that the
// script reads what its last step caused; 504 after 20 seconds.
func settleHandler(natsURL string, opts ...nats.Option) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, err := nats.Connect(natsURL, opts...)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			left, err := e2etest.Pending(ctx, js)
			cancel()
			if err == nil && len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				http.Error(w, fmt.Sprintf("not settled: %v %v", left, err), http.StatusGatewayTimeout)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// steps puts a call to settle before every comment that starts a step.
func steps(block string) string {
	var b strings.Builder
	prevComment := false
	for line := range strings.Lines(block) {
		comment := strings.HasPrefix(line, "#")
		if comment && !prevComment {
			b.WriteString("settle\n")
		}
		prevComment = comment
		b.WriteString(line)
	}
	return b.String()
}

// section returns the README from heading to the next heading of its level.
func section(readme, heading string) string {
	_, rest, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// shBlocks returns the text of each ```sh block.
func shBlocks(md string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(md, "```sh\n")
		if !ok {
			return out
		}
		block, after, _ := strings.Cut(rest, "```")
		out = append(out, block)
		md = after
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}

// lockedBuffer is the receiver's output, written by its handlers and read
// by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
