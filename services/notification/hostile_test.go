package notification_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver/httpservertest"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/testwait"
	"github.com/clinjobs/clinjobs/pkg/webhook/webhooktest"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

// send makes a request with body sent as it is (a string, bytes or a
// reader sent without a length) or encoded (any other value).
func (h *harness) send(method, path, token string, body any, header map[string]string) (int, http.Header, []byte) {
	h.t.Helper()
	r := httpservertest.Body(h.t, body)
	req, _ := http.NewRequestWithContext(h.t.Context(), method, h.api.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		if k == "Content-Type" && v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// refused sends a request that must be refused with status, as a problem
// document, and must write nothing anywhere.
func (h *harness) refused(t *testing.T, method, path, token string, body any, header map[string]string, status int) {
	t.Helper()
	before := natstest.Writes(t, h.nc)
	code, hdr, data := h.send(method, path, token, body, header)
	httpservertest.Refused(t, code, hdr, data, status)
	if after := natstest.Writes(t, h.nc); after != before {
		t.Errorf("the refused request wrote %d messages", after-before)
	}
}

func (h *harness) subscriptions(cid, token string) []notification.SubscriptionView {
	h.t.Helper()
	var list notification.SubscriptionList
	if code := h.call(http.MethodGet, "/v1/candidates/"+cid+"/subscriptions", token, nil, &list); code != http.StatusOK {
		h.t.Fatalf("list subscriptions: %d", code)
	}
	return list.Subscriptions
}

// TestHostileSubscriptionBodies sends subscribing and changing a
// subscription every hostile body and number out of range: each is its
// 4xx problem document, and nothing is written.
func TestHostileSubscriptionBodies(t *testing.T) {
	t.Parallel()
	h := start(t)
	cid, token := h.candidate("ada@example.org")
	sub := h.subscribe(cid, token, map[string]any{"channel": "sse"})
	path := "/v1/candidates/" + cid + "/subscriptions"
	fields := func(valid map[string]any) []httpservertest.Case {
		set := func(k string, v any) map[string]any { return httpservertest.WithField(t, valid, k, v) }
		raw := func(s string) httpservertest.Raw { return httpservertest.Raw(s) }
		return []httpservertest.Case{
			{Name: "hour past float64", Body: set("hour", raw("1e400")), Status: 422},
			{Name: "hour past int64", Body: set("hour", raw("9223372036854775808")), Status: 422},
			{Name: "hour negative", Body: set("hour", -1), Status: 422},
			{Name: "hour 24", Body: set("hour", 24), Status: 422},
			{Name: "hour a fraction", Body: set("hour", 8.5), Status: 422},
			{Name: "hour a string", Body: set("hour", "8"), Status: 422},
			{Name: "reminders a string", Body: set("reminders", "yes"), Status: 422},
			{Name: "a role family twice", Body: set("role_families", []string{"engineer", "engineer"}), Status: 422},
			{Name: "every specialism twice", Body: set("specialisms", append(specialisms(), specialisms()...)), Status: 422},
			{Name: "a band past the last", Body: set("min_band", "10"), Status: 422},
		}
	}
	for _, e := range []struct {
		name, method, path string
		valid              map[string]any
		want               int
	}{
		{"subscribe", http.MethodPost, path, map[string]any{"channel": "sse", "rhythm": "instant", "role_families": []string{"engineer"}}, http.StatusCreated},
		{"change", http.MethodPatch, path + "/" + sub.Subscription.ID, map[string]any{"min_band": "6", "role_families": []string{"engineer"}}, http.StatusOK},
	} {
		cases := httpservertest.Bodies(t, httpservertest.Endpoint{Valid: e.valid, Text: "rhythm", List: "role_families", ListItem: "engineer", Limit: 1 << 20})
		for _, c := range append(cases, fields(e.valid)...) {
			t.Run(e.name+"/"+c.Name, func(t *testing.T) {
				header := map[string]string{}
				if c.ContentType != nil {
					header["Content-Type"] = *c.ContentType
				}
				h.refused(t, e.method, e.path, token, c.Body, header, c.Status)
			})
		}
		t.Run(e.name+"/valid", func(t *testing.T) {
			if code := h.call(e.method, e.path, token, e.valid, nil); code != e.want {
				t.Fatalf("valid body: %d, want %d", code, e.want)
			}
		})
	}
	subs := h.subscriptions(cid, token)
	if len(subs) != 2 {
		t.Fatalf("%d subscriptions, want the first and one more", len(subs))
	}
	if subs[0].MinBand != "6" || len(subs[0].RoleFamilies) != 1 {
		t.Fatalf("the first has band %q and %d role families; want it changed once", subs[0].MinBand, len(subs[0].RoleFamilies))
	}
}

func specialisms() []string {
	var out []string
	for i := eventsv1.Specialism(1); eventsv1.Specialism_name[int32(i)] != ""; i++ {
		name := strings.ToLower(strings.TrimPrefix(eventsv1.Specialism_name[int32(i)], "SPECIALISM_"))
		out = append(out, name)
	}
	return out
}

// TestHostileSubscriptionCredentials: every route of a candidate's
// subscriptions refuses a stranger's credentials with 401, and another
// candidate's with 404 in the words an id that does not exist gets; a
// subscription of another candidate is not found under one's own id; an
// unsubscribe link forged or moved to another subscription unsubscribes
// no one.
func TestHostileSubscriptionCredentials(t *testing.T) {
	t.Parallel()
	h := start(t)
	cid, token := h.candidate("ada@example.org")
	mine := h.subscribe(cid, token, map[string]any{"channel": "sse"})
	other, otherToken := h.candidate("grace@example.org")
	theirs := h.subscribe(other, otherToken, map[string]any{"channel": "sse"})
	superseded := token
	token = h.rotate(cid, "ada@example.org")
	gone, goneToken := h.candidate("gone@example.org")
	h.erase(gone)
	// The service forgets the erased candidate in the background, with
	// writes of its own: they are done before any request is counted.
	h.erasuresSettled()

	secret := strings.Repeat("s", 43)
	routes := []struct {
		method, suffix string
		body           any
	}{
		{http.MethodPost, "", map[string]any{"channel": "sse"}},
		{http.MethodGet, "", nil},
		{http.MethodGet, "/" + mine.Subscription.ID, nil},
		{http.MethodPatch, "/" + mine.Subscription.ID, map[string]any{"min_band": "7"}},
		{http.MethodPost, "/" + mine.Subscription.ID + "/pause", nil},
		{http.MethodPost, "/" + mine.Subscription.ID + "/resume", nil},
		{http.MethodDelete, "/" + mine.Subscription.ID, nil},
	}
	strangers := []struct {
		name, authorization, candidate string
	}{
		{"none", "", cid},
		{"Basic", "Basic dXNlcjpwYXNzd29yZA==", cid},
		{"garbage", "Bearer not-a-token", cid},
		{"forged", "Bearer cjc." + cid + "." + secret, cid},
		{"superseded", "Bearer " + superseded, cid},
		{"erased candidate's", "Bearer " + goneToken, gone},
		{"id a wildcard", "Bearer cjc.c>." + secret, "c>"},
		{"a trust key", "Bearer cjt.RJ1.k1." + secret, cid},
		{"an operator key", "Bearer cjo.ops." + secret, cid},
	}
	for _, s := range strangers {
		for _, r := range routes {
			t.Run(s.name+"/"+r.method+r.suffix, func(t *testing.T) {
				h.refused(t, r.method, "/v1/candidates/"+s.candidate+"/subscriptions"+r.suffix, "", r.body,
					map[string]string{"Authorization": s.authorization}, http.StatusUnauthorized)
			})
		}
		t.Run(s.name+"/deliveries", func(t *testing.T) {
			h.refused(t, http.MethodGet, "/v1/candidates/"+s.candidate+"/deliveries", "", nil,
				map[string]string{"Authorization": s.authorization}, http.StatusUnauthorized)
		})
		t.Run(s.name+"/events", func(t *testing.T) {
			h.refused(t, http.MethodGet, "/v1/candidates/"+s.candidate+"/events", "", nil,
				map[string]string{"Authorization": s.authorization}, http.StatusUnauthorized)
		})
	}

	// Another candidate's token on my routes, and my token on another
	// candidate's subscription: not found, as ids that do not exist are.
	same := func(t *testing.T, method, theirs, none string, body any, tok, theirID, noneID string) {
		t.Helper()
		before := natstest.Writes(t, h.nc)
		c1, h1, d1 := h.send(method, theirs, tok, body, nil)
		c2, h2, d2 := h.send(method, none, tok, body, nil)
		p1 := httpservertest.Refused(t, c1, h1, d1, http.StatusNotFound)
		p2 := httpservertest.Refused(t, c2, h2, d2, http.StatusNotFound)
		if p1.Type != p2.Type || strings.ReplaceAll(p1.Detail, theirID, "{id}") != strings.ReplaceAll(p2.Detail, noneID, "{id}") {
			t.Errorf("another's id answers %+v, an id that does not exist %+v", p1, p2)
		}
		if after := natstest.Writes(t, h.nc); after != before {
			t.Errorf("refused requests wrote %d messages", after-before)
		}
	}
	const noCandidate, noSubscription = "cnosuchcandidatexxxxx", "snosuchsubscriptionxx"
	for _, r := range routes {
		t.Run("another candidate's token/"+r.method+r.suffix, func(t *testing.T) {
			same(t, r.method, "/v1/candidates/"+cid+"/subscriptions"+r.suffix, "/v1/candidates/"+noCandidate+"/subscriptions"+r.suffix,
				r.body, otherToken, cid, noCandidate)
		})
	}
	for _, r := range routes[2:] {
		suffix := strings.Replace(r.suffix, mine.Subscription.ID, theirs.Subscription.ID, 1)
		none := strings.Replace(r.suffix, mine.Subscription.ID, noSubscription, 1)
		t.Run("another's subscription under my id/"+r.method+r.suffix, func(t *testing.T) {
			same(t, r.method, "/v1/candidates/"+cid+"/subscriptions"+suffix, "/v1/candidates/"+cid+"/subscriptions"+none,
				r.body, token, theirs.Subscription.ID, noSubscription)
		})
	}

	// Unsubscribe links: forged, cut, or moved to another's subscription.
	valid := unsubscribeToken(t, h, other, theirs.Subscription.ID)
	parts := strings.Split(valid, ".")
	for name, tok := range map[string]string{
		"forged":                  other + "." + theirs.Subscription.ID + "." + strings.Repeat("A", 24),
		"moved to another's":      other + "." + mine.Subscription.ID + "." + parts[2],
		"another candidate's":     cid + "." + theirs.Subscription.ID + "." + parts[2],
		"cut short":               parts[0] + "." + parts[1],
		"with a part more":        valid + ".x",
		"wildcards":               "c*.s>." + parts[2],
		"ten thousand characters": strings.Repeat("a", 10_000),
		"invalid UTF-8":           "\xff\xfe",
	} {
		t.Run("unsubscribe link "+name, func(t *testing.T) {
			h.refused(t, http.MethodPost, "/v1/unsubscribe?token="+url.QueryEscape(tok), "", nil, nil, http.StatusUnprocessableEntity)
			h.refused(t, http.MethodGet, "/v1/unsubscribe?token="+url.QueryEscape(tok), "", nil, nil, http.StatusUnprocessableEntity)
		})
	}
	if n := len(h.subscriptions(other, otherToken)); n != 1 {
		t.Fatalf("the other candidate has %d subscriptions after all that, want 1", n)
	}
	if n := len(h.subscriptions(cid, token)); n != 1 {
		t.Fatalf("the candidate has %d subscriptions after all that, want 1", n)
	}
}

// unsubscribeToken makes the one-click link's token of a subscription, as
// an email carries it: the ids and an HMAC-SHA256 of them under the key the
// service keeps in its keys bucket, cut to 18 bytes. The real link's page
// answering shows it is made right.
func unsubscribeToken(t *testing.T, h *harness, cid, sid string) string {
	t.Helper()
	kv, err := h.js.KeyValue(t.Context(), notification.BucketKeys)
	if err != nil {
		t.Fatal(err)
	}
	key, err := kv.Get(t.Context(), "unsubscribe")
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key.Value())
	m.Write([]byte("unsubscribe\x00" + cid + "\x00" + sid))
	tok := cid + "." + sid + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
	if code, _, body := h.send(http.MethodGet, "/v1/unsubscribe?token="+url.QueryEscape(tok), "", nil, nil); code != http.StatusOK {
		t.Fatalf("the real link's page: %d %s", code, body)
	}
	return tok
}

// rotate gives a candidate a new token, as ingest does, and returns it:
// the one it had is superseded.
func (h *harness) rotate(cid, email string) string {
	h.t.Helper()
	secret, hash := auth.NewSecret()
	rec := &eventsv1.CandidateChanged{Candidate: &eventsv1.Candidate{Id: cid, Email: email}, TokenHash: hash}
	data, _ := proto.Marshal(rec)
	kv, err := h.js.KeyValue(h.t.Context(), bus.BucketCandidates)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := kv.Put(h.t.Context(), partition.Key(cid), data); err != nil {
		h.t.Fatal(err)
	}
	return auth.Credential{Prefix: auth.CandidateTokenPrefix, Owner: cid, Secret: secret}.String()
}

// erase removes a candidate's record, as erasure does.
func (h *harness) erase(cid string) {
	h.t.Helper()
	kv, err := h.js.KeyValue(h.t.Context(), bus.BucketCandidates)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := kv.Purge(h.t.Context(), partition.Key(cid)); err != nil {
		h.t.Fatal(err)
	}
}

// TestWebhookURLsRefusedAtRegistration: every internal address, in every
// spelling, and names that are or resolve to one, are refused when a
// candidate registers them, and nothing is stored.
func TestWebhookURLsRefusedAtRegistration(t *testing.T) {
	t.Parallel()
	dns := webhooktest.StaticDNS(map[string][]string{
		"hooks.example.org":   {"93.184.215.14"},
		"loopback.example":    {"127.0.0.1"},
		"private.example":     {"192.168.0.10"},
		"metadata.example":    {"169.254.169.254"},
		"v6-loopback.example": {"::1"},
		"ula.example":         {"fd00:ec2::254"},
		"mixed.example":       {"93.184.215.14", "10.0.0.1"},
	})
	h := start(t, func(c *notification.Config, d *notification.Deps) {
		c.AllowPrivateWebhooks = false
		d.Resolver = dns.Resolver()
	})
	cid, token := h.candidate("ada@example.org")
	for _, u := range []string{
		"http://127.0.0.1/", "http://127.255.255.254:8080/", "http://10.0.0.1/", "http://172.16.0.1/", "http://172.31.255.255/",
		"http://192.168.1.1/", "http://100.64.0.1/", "http://100.127.255.255/", "http://169.254.169.254/latest/meta-data/",
		"http://169.254.1.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://255.255.255.255/",
		"http://[::1]/", "http://[::]/", "http://[fe80::1]/", "http://[fe80::1%25eth0]/", "http://[fc00::1]/", "http://[fd00:ec2::254]/",
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::ffff:169.254.169.254]/", "http://[::127.0.0.1]/",
		"http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::10.0.0.1]/", "http://[2002:7f00:1::1]/",
		"http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://127.1/", "http://10.1/",
		"http://0xa9fea9fe/", "http://3232235777/",
		"http://localhost/", "http://LOCALHOST./", "http://api.localhost/", "http://printer.local/", "http://metadata.google.internal/",
		"http://intranet/",
		"http://loopback.example/", "http://private.example/", "http://metadata.example/", "http://v6-loopback.example/",
		"http://ula.example/", "http://mixed.example/",
		"http://user:pass@hooks.example.org/", "ftp://hooks.example.org/", "file:///etc/passwd", "gopher://hooks.example.org/",
		"http://hooks.example.org:0/", "http://hooks.example.org:99999/", "https://hooks.example.org/" + strings.Repeat("a", 2100),
		"http://nowhere.example/", "//hooks.example.org/", "hooks.example.org",
	} {
		t.Run(u[:min(len(u), 60)], func(t *testing.T) {
			h.refused(t, http.MethodPost, "/v1/candidates/"+cid+"/subscriptions", token,
				map[string]any{"channel": "webhook", "url": u}, nil, http.StatusUnprocessableEntity)
		})
	}
	if subs := h.subscriptions(cid, token); len(subs) != 0 {
		t.Fatalf("refused URLs were kept: %+v", subs)
	}
	// The check can pass: a public name is taken.
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": "https://hooks.example.org/clinjobs"})
}

// TestWebhookRefusedAtConnect: a name that was public when it was
// registered and resolves to loopback when an alert goes is refused by the
// dialer: the endpoint on loopback gets nothing, and the alert is a dead
// letter at once, saying why.
func TestWebhookRefusedAtConnect(t *testing.T) {
	t.Parallel()
	var rebound atomic.Bool
	dns := webhooktest.NewDNS(func(name string, _ int) []netip.Addr {
		switch {
		case name != "hooks.example.org":
			return nil
		case rebound.Load():
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}
	})
	h := start(t, func(c *notification.Config, d *notification.Deps) {
		c.AllowPrivateWebhooks = false
		d.Resolver = dns.Resolver()
	})
	rc := newReceiver(t, nil)
	addr := rc.Listener.Addr().String()
	port := addr[strings.LastIndex(addr, ":"):]
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": "http://hooks.example.org" + port + "/alerts"})
	rebound.Store(true)
	v := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour))
	h.match(cid, v, "")
	var dl struct {
		DeadLetters []notification.DeadLetterView `json:"dead_letters"`
	}
	testwait.Until(t, 20*time.Second, "a dead letter", func() bool {
		return h.control("clinjobs.notification.deadletters.list", map[string]any{}, &dl) == nil && len(dl.DeadLetters) == 1
	})
	if d := dl.DeadLetters[0]; d.Attempts != 1 || !strings.Contains(d.Reason, "127.0.0.1") {
		t.Errorf("dead letter %+v: want one attempt, refused for 127.0.0.1", d)
	}
	if n := len(rc.got()); n != 0 {
		t.Fatalf("the loopback endpoint got %d requests", n)
	}
	var log struct {
		Deliveries []notification.DeliveryView `json:"deliveries"`
	}
	if code := h.call(http.MethodGet, "/v1/candidates/"+cid+"/deliveries", token, nil, &log); code != http.StatusOK || len(log.Deliveries) != 1 {
		t.Fatalf("delivery log %d %+v", code, log)
	}
	data, _ := json.Marshal(log.Deliveries[0])
	if strings.Contains(string(data), "delivered") {
		t.Fatalf("the refused alert is logged as delivered: %s", data)
	}
}

// erasuresSettled waits until the service has handled every change of the
// candidates bucket.
func (h *harness) erasuresSettled() {
	h.t.Helper()
	testwait.Until(h.t, 10*time.Second, "the erasures handled", func() bool {
		st, err := h.js.Stream(h.t.Context(), bus.KVStream(bus.BucketCandidates))
		if err != nil {
			return false
		}
		sinfo, err := st.Info(h.t.Context())
		if err != nil {
			return false
		}
		cons, err := st.Consumer(h.t.Context(), "notification-erasures")
		if err != nil {
			return false
		}
		info, err := cons.Info(h.t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream >= sinfo.State.LastSeq
	})
}
