package dashboard_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/clinjobs/clinjobs/pkg/httpserver/httpservertest"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/services/dashboard"
)

// send makes a request with its Authorization header and body as given: a
// string, bytes, a reader (sent without a length) or a value to encode;
// the answer and the request are held to the OpenAPI document.
func (f *fixture) send(t *testing.T, method, path, authorization string, body any, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	r := httpservertest.Body(t, body)
	req, _ := http.NewRequest(method, f.srv.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for k, v := range header {
		if k == "Content-Type" && v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := f.api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// owners stands in for ingest and notification on the real NATS server,
// counting what the dashboard asks of them.
type owners struct {
	asked atomic.Int32
}

func standIns(t *testing.T, f *fixture) *owners {
	t.Helper()
	o := &owners{}
	for name, subjects := range map[string][]string{
		"ingest":       {"clinjobs.ingest.trusts.create", "clinjobs.ingest.trusts.keys.issue", "clinjobs.ingest.vacancies.withdraw"},
		"notification": {"clinjobs.notification.deadletters.list"},
	} {
		svc, err := micro.AddService(f.nc, micro.Config{Name: name, Version: "0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Stop() })
		for i, subject := range subjects {
			err := svc.AddEndpoint("e"+string(rune('a'+i)), micro.HandlerFunc(func(r micro.Request) {
				o.asked.Add(1)
				_ = r.RespondJSON(map[string]any{"dead_letters": []any{}, "total": 0})
			}), micro.WithEndpointSubject(subject))
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return o
}

// TestHostileOperatorBodies: the dashboard's actions that take a body
// refuse every hostile one with a 4xx problem document, and then neither
// ask the owning service nor write to the audit log.
func TestHostileOperatorBodies(t *testing.T) {
	t.Parallel()
	f := start(t)
	o := standIns(t, f)
	auth := "Bearer " + opKey
	for _, e := range []struct {
		name, path string
		valid      map[string]any
		text       string
		fields     []httpservertest.Case
	}{
		{"onboard a trust", "/v1/dashboard/trusts", map[string]any{"code": "RJ1", "name": "Guy's"}, "name",
			[]httpservertest.Case{{Name: "code a number past float64", Body: map[string]any{"code": httpservertest.Raw("1e400"), "name": "x"}, Status: 422}}},
		{"issue a key", "/v1/dashboard/trusts/RJ1/keys", map[string]any{"label": "payroll"}, "label",
			[]httpservertest.Case{{Name: "label past int64", Body: map[string]any{"label": httpservertest.Raw("9223372036854775808")}, Status: 422}}},
		{"withdraw a vacancy", "/v1/dashboard/vacancies/vsomevacancyxxxxxxxxx/withdraw", map[string]any{"reason": "Duplicate advert"}, "reason",
			[]httpservertest.Case{
				{Name: "reason of spaces", Body: map[string]any{"reason": "     "}, Status: 422},
				{Name: "reason too long", Body: map[string]any{"reason": strings.Repeat("x", 501)}, Status: 422},
			}},
	} {
		cases := httpservertest.Bodies(t, httpservertest.Endpoint{Valid: e.valid, Text: e.text, List: e.text, ListItem: "x", Limit: 1 << 20})
		for _, c := range append(cases, e.fields...) {
			t.Run(e.name+"/"+c.Name, func(t *testing.T) {
				header := map[string]string{}
				if c.ContentType != nil {
					header["Content-Type"] = *c.ContentType
				}
				before, asked := natstest.Writes(t, f.nc), o.asked.Load()
				code, h, body := f.send(t, http.MethodPost, e.path, auth, c.Body, header)
				httpservertest.Refused(t, code, h, body, c.Status)
				if natstest.Writes(t, f.nc) != before || o.asked.Load() != asked {
					t.Error("a refused action was audited or carried to its owner")
				}
			})
		}
		t.Run(e.name+"/valid", func(t *testing.T) {
			asked := o.asked.Load()
			if code, _, body := f.send(t, http.MethodPost, e.path, auth, e.valid, nil); code/100 != 2 {
				t.Fatalf("valid body: %d %s", code, body)
			}
			if o.asked.Load() != asked+1 {
				t.Error("the valid action was not carried to its owner: the check sees nothing")
			}
		})
	}
}

// TestHostileOperatorQueries: list limits out of range are refused before
// anyone is asked.
func TestHostileOperatorQueries(t *testing.T) {
	t.Parallel()
	f := start(t)
	o := standIns(t, f)
	for _, path := range []string{"/v1/dashboard/audit", "/v1/dashboard/dead-letters"} {
		for _, q := range []string{"0", "-1", "1001", "abc", "1e3", "99999999999999999999", "%00"} {
			t.Run(path+"?limit="+q, func(t *testing.T) {
				asked := o.asked.Load()
				code, h, body := f.send(t, http.MethodGet, path+"?limit="+q, "Bearer "+opKey, nil, nil)
				httpservertest.Refused(t, code, h, body, http.StatusUnprocessableEntity)
				if o.asked.Load() != asked {
					t.Error("a refused list was asked of its owner")
				}
			})
		}
		if code, _, body := f.send(t, http.MethodGet, path+"?limit=1000", "Bearer "+opKey, nil, nil); code != http.StatusOK {
			t.Fatalf("%s?limit=1000: %d %s", path, code, body)
		}
	}
}

// TestHostileOperatorCredentials: the operator API refuses what is not the
// operator key: 401 with its challenge for anything else, a key or token of
// another kind too (the dashboard cannot tell a live one from a forged one,
// and must not say which ids exist); nothing is asked or audited.
func TestHostileOperatorCredentials(t *testing.T) {
	t.Parallel()
	f := start(t)
	o := standIns(t, f)
	secret := strings.Repeat("s", 43)
	for _, c := range []struct {
		name, authorization string
		want                int
	}{
		{"none", "", 401},
		{"Basic", "Basic dXNlcjpwYXNzd29yZA==", 401},
		{"Bearer and nothing", "Bearer ", 401},
		{"garbage", "Bearer not-a-key", 401},
		{"forged operator key", "Bearer cjo.test." + secret, 401},
		{"the key with a character more", "Bearer " + opKey + "x", 401},
		{"the key cut short", "Bearer " + opKey[:len(opKey)-1], 401},
		{"the key twice", "Bearer " + opKey + " " + opKey, 401},
		{"overlong", "Bearer cjo.test." + strings.Repeat("s", 5000), 401},
		{"a trust key", "Bearer cjt.RJ1.k1." + secret, 401},
		{"a candidate token", "Bearer cjc.cabcdefghijklmnopqrst." + secret, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []struct {
				method, path string
				body         any
			}{
				{http.MethodGet, "/v1/dashboard/audit", nil},
				{http.MethodGet, "/v1/dashboard/dead-letters", nil},
				{http.MethodPost, "/v1/dashboard/trusts", map[string]string{"code": "RJ1", "name": "Guy's"}},
				{http.MethodPost, "/v1/dashboard/vacancies/vsomevacancyxxxxxxxxx/withdraw", map[string]string{"reason": "Duplicate"}},
			} {
				before, asked := natstest.Writes(t, f.nc), o.asked.Load()
				code, h, body := f.send(t, r.method, r.path, c.authorization, r.body, nil)
				httpservertest.Refused(t, code, h, body, c.want)
				if natstest.Writes(t, f.nc) != before || o.asked.Load() != asked {
					t.Errorf("%s %s: refused, yet audited or carried to its owner", r.method, r.path)
				}
			}
		})
	}
}

// clock is a settable clock for the dashboard.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestPageSessions: the page admits a session cookie it made, for twelve
// hours; an expired, forged or altered one, or the operator key itself in
// its place, is sent to sign in (401 for anything but the page itself).
func TestPageSessions(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	f := start(t, func(_ *dashboard.Config, d *dashboard.Deps) { d.Now = clk.Now })
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		PostForm(f.srv.URL+"/dashboard/login", url.Values{"name": {"Ada"}, "key": {opKey}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session string
	for _, c := range resp.Cookies() {
		if c.Name == "cj_operator" {
			session = c.Value
		}
	}
	if session == "" || strings.Contains(session, opKey) || strings.Contains(session, strings.SplitN(opKey, ".", 3)[2]) {
		t.Fatalf("session cookie %q: want one, not holding the operator key", session)
	}
	visit := func(cookie string) (index, action int) {
		t.Helper()
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for i, path := range []string{"/dashboard/", "/dashboard/actions/rebuild-cache"} {
			method := http.MethodGet
			if i == 1 {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader("csrf=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "cj_operator", Value: cookie})
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if i == 0 {
				index = resp.StatusCode
			} else {
				action = resp.StatusCode
			}
		}
		return index, action
	}
	parts := strings.Split(session, ".")
	refusedCookies := map[string]string{
		"none":                   "",
		"the operator key":       opKey,
		"the old form, name.key": parts[0] + "." + opKey,
		"forged":                 parts[0] + "." + parts[1] + "." + strings.Repeat("0", 64),
		"another name":           "Qm9i." + parts[1] + "." + parts[2],
		"signed in later":        parts[0] + ".9999999999." + parts[2],
		"cut short":              parts[0] + "." + parts[1],
		"a part more":            session + ".x",
	}
	for name, cookie := range refusedCookies {
		if index, action := visit(cookie); index != http.StatusSeeOther || action != http.StatusUnauthorized {
			t.Errorf("%s: page %d, action %d; want 303 and 401", name, index, action)
		}
	}
	// A good session reaches the page, and the action (whose form token
	// is wrong here: 403, not 401).
	clk.Add(sessionTTL - time.Second)
	if index, action := visit(session); index != http.StatusOK || action != http.StatusForbidden {
		t.Fatalf("a session 12 hours less a second old: page %d, action %d", index, action)
	}
	clk.Add(time.Second)
	if index, action := visit(session); index != http.StatusSeeOther || action != http.StatusUnauthorized {
		t.Fatalf("an expired session: page %d, action %d; want 303 and 401", index, action)
	}
}

const sessionTTL = 12 * time.Hour
