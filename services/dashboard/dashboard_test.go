package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/dashboard"
)

const opKey = "cjo.test.0123456789abcdefghijklmnopqrstuvwxyz"

type fixture struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	pub *bus.Publisher
	srv *httptest.Server
	// api checks every answer against the OpenAPI document.
	api *http.Client
}

func start(t *testing.T, opts ...func(*dashboard.Config, *dashboard.Deps)) *fixture {
	t.Helper()
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	ctx := context.Background()
	cfg := dashboard.Config{OperatorKey: opKey, DiscoveryWindow: 200 * time.Millisecond}
	deps := dashboard.Deps{Log: logging.Discard(), NC: nc}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	svc, err := dashboard.New(ctx, cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	api := &http.Client{Transport: &openapitest.Transport{T: t, Validator: openapitest.NewValidator(t, dashboard.Document()),
		Requests: openapitest.NewRequestChecker(t, dashboard.Document())}}
	return &fixture{nc: nc, js: js, pub: bus.NewPublisher(js), srv: srv, api: api}
}

func (f *fixture) get(t *testing.T, path string, v any) int {
	t.Helper()
	return f.do(t, http.MethodGet, path, nil, v)
}

func (f *fixture) do(t *testing.T, method, path string, body any, v any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = strings.NewReader(string(data))
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+opKey)
	req.Header.Set("X-Operator", "Ada")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func eventually(t *testing.T, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	svc, err := dashboard.New(context.Background(), dashboard.Config{OperatorKey: opKey}, dashboard.Deps{Log: logging.Discard(), NC: natstest.Connect(t, natstest.Start(t))})
	if err != nil {
		t.Fatal(err)
	}
	openapitest.CheckRoutes(t, svc.Handler().(*gin.Engine), dashboard.Document())
}

func TestServicesComeAndGo(t *testing.T) {
	t.Parallel()
	f := start(t)
	other, err := micro.AddService(f.nc, micro.Config{Name: "ingest", Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() map[string]int {
		var out struct {
			Services []struct {
				Name      string `json:"name"`
				Instances []any  `json:"instances"`
			} `json:"services"`
		}
		if code := f.get(t, "/v1/dashboard/services", &out); code != 200 {
			t.Fatalf("status %d", code)
		}
		m := map[string]int{}
		for _, s := range out.Services {
			m[s.Name] = len(s.Instances)
		}
		return m
	}
	if got := count(); got["ingest"] != 1 || got["dashboard"] != 1 {
		t.Fatalf("services %v", got)
	}
	if err := other.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := count(); got["ingest"] != 0 {
		t.Fatalf("a stopped instance is still listed: %v", got)
	}
}

func TestFlowRatesAndMarket(t *testing.T) {
	t.Parallel()
	f := start(t)
	ctx := context.Background()
	now := time.Now()
	// A consumer with two messages waiting, one of them handed out.
	if _, err := f.js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{Durable: "slow", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2"} {
		if _, err := f.pub.Publish(ctx, bus.Message{Subject: bus.MatchSubject(id), ID: id, Body: &eventsv1.MatchFound{CandidateId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	posted := now.Add(-3 * time.Second)
	if _, err := f.pub.Publish(ctx, bus.Message{
		Subject: bus.AlertSubject("delivered", "webhook", "c1"), ID: "d1",
		Body: &eventsv1.AlertDelivered{VacancyId: "v1", VacancyPostedAtUnixMs: posted.UnixMilli(), DeliveredAtUnixMs: now.UnixMilli()},
	}); err != nil {
		t.Fatal(err)
	}
	vacancies, err := bus.NewStore(ctx, f.js, f.pub, bus.BucketVacancies)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []struct {
		id, trust string
		lat, lon  float64
		family    eventsv1.RoleFamily
	}{
		{"v1", "RJ1", 51.4989, -0.1187, eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_TECHNOLOGIST},
		{"v2", "RJ1", 51.50, -0.12, eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE},
		{"v3", "RW3", 53.46, -2.23, eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE},
	} {
		rec := &eventsv1.VacancyChanged{Change: eventsv1.VacancyChange_VACANCY_CHANGE_POSTED, Vacancy: &eventsv1.Vacancy{
			Id: v.id, Trust: &eventsv1.TrustRef{Code: v.trust, Name: "Trust " + v.trust}, RoleFamily: v.family,
			Band: eventsv1.Band_BAND_5, Status: eventsv1.VacancyStatus_VACANCY_STATUS_OPEN,
			ClosesAtUnixMs: now.Add(24 * time.Hour).UnixMilli(),
			Site:           &eventsv1.Site{Location: &eventsv1.Location{Latitude: v.lat, Longitude: v.lon}},
		}}
		if _, err := vacancies.Create(ctx, v.id, "create-"+v.id, rec); err != nil {
			t.Fatalf("vacancy %d: %v", i, err)
		}
	}

	var flow struct {
		Streams []struct {
			Name      string `json:"name"`
			Consumers []struct {
				Name    string  `json:"name"`
				Pending int     `json:"pending"`
				Age     float64 `json:"oldest_pending_age_seconds"`
			} `json:"consumers"`
		} `json:"streams"`
		Redis struct {
			Configured bool `json:"configured"`
		} `json:"redis"`
	}
	f.get(t, "/v1/dashboard/flow", &flow)
	found := false
	for _, s := range flow.Streams {
		for _, c := range s.Consumers {
			if s.Name == bus.StreamMatches && c.Name == "slow" {
				found = c.Pending == 2 && c.Age >= 0
			}
		}
	}
	if !found || flow.Redis.Configured {
		t.Fatalf("flow %+v", flow)
	}

	eventually(t, func() (bool, string) {
		var out struct {
			Rates []struct {
				Name     string `json:"name"`
				LastHour int    `json:"last_hour"`
			} `json:"rates"`
			FirstAlert struct {
				Vacancies int     `json:"vacancies"`
				P50       float64 `json:"p50_seconds"`
			} `json:"first_alert_hour"`
		}
		f.get(t, "/v1/dashboard/rates", &out)
		got := map[string]int{}
		for _, r := range out.Rates {
			got[r.Name] = r.LastHour
		}
		ok := got["vacancies_posted"] == 3 && got["matches_found"] == 2 && got["alerts_delivered_webhook"] == 1 &&
			out.FirstAlert.Vacancies == 1 && out.FirstAlert.P50 >= 2.9
		return ok, "rates " + toJSON(out)
	})
	eventually(t, func() (bool, string) {
		var out struct {
			Vacancies struct {
				Open     int `json:"open"`
				ByRegion []struct {
					Name  string `json:"name"`
					Count int    `json:"count"`
				} `json:"by_region"`
			} `json:"vacancies"`
			Incomplete string `json:"incomplete"`
		}
		f.get(t, "/v1/dashboard/market", &out)
		ok := out.Vacancies.Open == 3 && len(out.Vacancies.ByRegion) == 2 && out.Vacancies.ByRegion[0].Name == "London" &&
			out.Vacancies.ByRegion[0].Count == 2 && strings.Contains(out.Incomplete, "partitions")
		return ok, "market " + toJSON(out)
	})
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestActionsAreAudited runs actions against a stand-in for ingest's
// endpoint on the real NATS server, and reads the audit log.
func TestActionsAreAudited(t *testing.T) {
	t.Parallel()
	f := start(t)
	var gotActor string
	svc, err := micro.AddService(f.nc, micro.Config{Name: "ingest", Version: "0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	err = svc.AddEndpoint("create", micro.HandlerFunc(func(r micro.Request) {
		gotActor = r.Headers().Get("Clinjobs-Actor")
		var in struct{ Code, Name string }
		_ = json.Unmarshal(r.Data(), &in)
		if in.Code == "BAD" {
			_ = r.Error("409", "trust BAD is onboarded already", nil)
			return
		}
		_ = r.RespondJSON(map[string]any{"trust": map[string]string{"code": in.Code}, "api_key": map[string]string{"key": "cjt.x.y.z"}})
	}), micro.WithEndpointSubject("clinjobs.ingest.trusts.create"))
	if err != nil {
		t.Fatal(err)
	}

	if code := f.do(t, http.MethodPost, "/v1/dashboard/trusts", map[string]string{"code": "RJ1", "name": "Guy's"}, nil); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	if !strings.HasPrefix(gotActor, "Ada from ") {
		t.Errorf("the owning service was told the actor %q", gotActor)
	}
	var problem struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if code := f.do(t, http.MethodPost, "/v1/dashboard/trusts", map[string]string{"code": "BAD", "name": "Bad"}, &problem); code != http.StatusConflict || !strings.Contains(problem.Detail, "onboarded already") {
		t.Fatalf("conflict: %d %+v", code, problem)
	}
	// No service answers key revocation: the operator hears so, and the
	// attempt is still on the record.
	if code := f.do(t, http.MethodDelete, "/v1/dashboard/trusts/RJ1/keys/k1", nil, &problem); code != http.StatusServiceUnavailable {
		t.Fatalf("revoke without ingest: %d %+v", code, problem)
	}

	var log struct {
		Entries []struct {
			Actor, Action, Target, Outcome string
		} `json:"entries"`
	}
	f.get(t, "/v1/dashboard/audit", &log)
	var got []string
	for _, e := range log.Entries {
		got = append(got, e.Action+" "+e.Target+" "+e.Outcome)
		if !strings.HasPrefix(e.Actor, "Ada from ") {
			t.Errorf("actor %q", e.Actor)
		}
	}
	want := "trust.key.revoke RJ1 failed|trust.create BAD failed|trust.create RJ1 done"
	if strings.Join(got, "|") != want {
		t.Fatalf("audit %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestPageSignInAndForms(t *testing.T) {
	t.Parallel()
	f := start(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}

	resp, err := client.PostForm(f.srv.URL+"/dashboard/login", url.Values{"name": {"Ada"}, "key": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", resp.StatusCode)
	}

	noRedirect := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.PostForm(f.srv.URL+"/dashboard/login", url.Values{"name": {"Ada"}, "key": {opKey}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %s", cookie, want)
		}
	}
	// The test server is plain HTTP, so the jar would not send a Secure
	// cookie back; send it by hand.
	u, _ := url.Parse(f.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "cj_operator", Value: strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "cj_operator=")}})

	resp, err = client.Get(f.srv.URL + "/dashboard/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Streams and consumers") {
		t.Fatalf("index %d: %.300s", resp.StatusCode, body)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(string(body))
	if csrf == nil {
		t.Fatal("no CSRF token in the forms")
	}

	resp, err = client.PostForm(f.srv.URL+"/dashboard/actions/rebuild-cache", url.Values{"csrf": {"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged CSRF token: %d", resp.StatusCode)
	}
	resp, err = client.PostForm(f.srv.URL+"/dashboard/actions/rebuild-cache", url.Values{"csrf": {csrf[1]}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	// No matching replica runs here: the page says so, and the attempt is audited.
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Rebuild the match cache") || !strings.Contains(string(body), "no matching replica answered") {
		t.Fatalf("rebuild: %d %.500s", resp.StatusCode, body)
	}

	// Without the cookie, the page sends operators to sign in.
	stranger := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = stranger.Get(f.srv.URL + "/dashboard/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/login" {
		t.Fatalf("index without session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
