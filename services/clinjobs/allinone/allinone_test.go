package allinone_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/services/clinjobs/allinone"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
	"github.com/clinjobs/clinjobs/services/web"
)

// start runs the all-in-one on dir, on free ports, until the test ends.
func start(t *testing.T, dir string, services ...string) (*allinone.System, e2etest.API) {
	t.Helper()
	return startWith(t, allinone.Config{DataDir: dir, Services: services})
}

// startWith starts the all-in-one with cfg on loopback, every API on a
// port of its own choosing and private webhooks allowed, and stops it when
// t ends.
func startWith(t *testing.T, cfg allinone.Config) (*allinone.System, e2etest.API) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.NATSPort, cfg.AllowPrivateWebhooks = -1, true
	cfg.IngestAddr, cfg.MatchingAddr, cfg.NotificationAddr, cfg.DashboardAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.WebAddr = "127.0.0.1:0"
	sys, err := allinone.Start(context.Background(), cfg, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return sys, e2etest.API{
		Ingest: sys.URL("ingest"), Matching: sys.URL("matching"), Notification: sys.URL("notification"),
		Dashboard: sys.URL("dashboard"), OperatorKey: sys.OperatorKey,
	}
}

// subscriber signs a candidate up at home and subscribes their webhook on rcv.
func subscriber(t *testing.T, api e2etest.API, rcv *e2etest.Receiver, name string, home e2etest.Place) string {
	t.Helper()
	id, token := api.SignUp(t, e2etest.Candidate(name+"@example.org", home, 30))
	_, secret := api.SubscribeWebhook(t, id, token, rcv.URL("127.0.0.1", name))
	rcv.SetSecret(t, name, secret)
	return id
}

func TestVacancyReachesTheRightCandidateOnce(t *testing.T) {
	t.Parallel()
	sys, api := start(t, t.TempDir())
	rcv := e2etest.NewReceiver(t, "127.0.0.1:0")
	key := api.CreateTrust(t, "RJ1", "Guy's and St Thomas' NHS Foundation Trust")

	near := subscriber(t, api, rcv, "near", e2etest.StThomas)
	subscriber(t, api, rcv, "far", e2etest.ManchesterRI)
	vac := api.PostVacancy(t, key, e2etest.Vacancy("GSTT-CT-1", e2etest.StThomas, time.Now(), 30*24*time.Hour))

	e2etest.Eventually(t, 20*time.Second, func() (bool, string) {
		return rcv.Unique() == 1, "waiting for the alert"
	})
	e2etest.Settled(t, sys.NATSURL(), 20*time.Second, e2etest.NATSAs(t, sys.SecretsDir(), "dashboard")...)
	alerts := rcv.Alerts()
	if len(alerts) != 1 || alerts[0].CandidateID != near || alerts[0].VacancyID != vac || alerts[0].Hook != "near" {
		t.Fatalf("alerts %+v, want one for %s about %s", alerts, near, vac)
	}
	if bad := rcv.Rejected(); len(bad) > 0 {
		t.Fatalf("receiver refused %v", bad)
	}
}

func TestMatchesAndServices(t *testing.T) {
	t.Parallel()
	sys, api := start(t, t.TempDir())
	key := api.CreateTrust(t, "RRF", "Wrightington, Wigan and Leigh")
	id, token := api.SignUp(t, e2etest.Candidate("m@example.org", e2etest.ManchesterRI, 40))
	vac := api.PostVacancy(t, key, e2etest.Vacancy("WWL-1", e2etest.ManchesterRI, time.Now(), 14*24*time.Hour))
	e2etest.Settled(t, sys.NATSURL(), 20*time.Second, e2etest.NATSAs(t, sys.SecretsDir(), "dashboard")...)

	var list struct {
		Matches []struct {
			Vacancy struct {
				ID string `json:"id"`
			} `json:"vacancy"`
			Score   int      `json:"score"`
			Reasons []string `json:"reasons"`
		} `json:"matches"`
		Total int `json:"total"`
	}
	resp := api.Do(t, http.MethodGet, api.Matching+"/v1/candidates/"+id+"/matches", token, nil).Expect(t, http.StatusOK)
	resp.JSON(t, &list)
	if list.Total != 1 || len(list.Matches) != 1 || list.Matches[0].Vacancy.ID != vac || len(list.Matches[0].Reasons) == 0 {
		t.Fatalf("matches %+v", list)
	}
	if src := resp.Header.Get("X-Match-Source"); src != "cache" {
		t.Errorf("X-Match-Source %q, want cache", src)
	}
	// Another candidate's token is no key to these matches.
	_, other := api.SignUp(t, e2etest.Candidate("o@example.org", e2etest.LeedsGeneral, 40))
	api.Do(t, http.MethodGet, api.Matching+"/v1/candidates/"+id+"/matches", other, nil).Expect(t, http.StatusNotFound)

	var services struct {
		Services []struct {
			Name      string `json:"name"`
			Instances []struct {
				ID      string `json:"id"`
				Version string `json:"version"`
			} `json:"instances"`
		} `json:"services"`
	}
	api.Do(t, http.MethodGet, api.Dashboard+"/v1/dashboard/services", api.OperatorKey, nil).Expect(t, http.StatusOK).JSON(t, &services)
	names := map[string]int{}
	for _, s := range services.Services {
		names[s.Name] = len(s.Instances)
	}
	for _, want := range allinone.AllServices {
		if want == web.Name {
			// The web service is a client of the others' HTTP APIs and
			// has no connection to the bus, where the dashboard looks.
			continue
		}
		if names[want] != 1 {
			t.Errorf("dashboard shows %d instances of %s: %+v", names[want], want, services)
		}
	}
	// A trust key is not the operator key, and the dashboard cannot tell a
	// live one from a forged one: 401.
	api.Do(t, http.MethodGet, api.Dashboard+"/v1/dashboard/services", key, nil).Expect(t, http.StatusUnauthorized)
}

// TestRestartBeforeMatching stops the system after the vacancy is accepted
// and before matching has run (it is not running yet), and starts it again
// on the same data: the alert arrives, once.
func TestRestartBeforeMatching(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rcv := e2etest.NewReceiver(t, "127.0.0.1:0")

	first, api := start(t, dir, "ingest", "notification")
	key := api.CreateTrust(t, "RGT", "Cambridge University Hospitals")
	cand := subscriber(t, api, rcv, "cambridge", e2etest.AddenbrookesH)
	vac := api.PostVacancy(t, key, e2etest.Vacancy("CUH-1", e2etest.AddenbrookesH, time.Now(), 10*24*time.Hour))
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.Alerts()); n != 0 {
		t.Fatalf("%d alerts before matching ran", n)
	}

	second, _ := start(t, dir)
	e2etest.Eventually(t, 20*time.Second, func() (bool, string) { return rcv.Unique() == 1, "waiting for the alert" })
	e2etest.Settled(t, second.NATSURL(), 20*time.Second, e2etest.NATSAs(t, second.SecretsDir(), "dashboard")...)
	alerts := rcv.Alerts()
	if len(alerts) != 1 || alerts[0].CandidateID != cand || alerts[0].VacancyID != vac {
		t.Fatalf("alerts %+v", alerts)
	}
}

// TestRestartAtOnce stops the whole system the moment the vacancy is
// accepted, wherever its processing has got to, and starts it again: the
// alert arrives exactly once across the two runs.
func TestRestartAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rcv := e2etest.NewReceiver(t, "127.0.0.1:0")

	first, api := start(t, dir)
	key := api.CreateTrust(t, "RR8", "Leeds Teaching Hospitals")
	subscriber(t, api, rcv, "leeds", e2etest.LeedsGeneral)
	api.PostVacancy(t, key, e2etest.Vacancy("LTH-1", e2etest.LeedsGeneral, time.Now(), 10*24*time.Hour))
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	second, _ := start(t, dir)
	e2etest.Eventually(t, 20*time.Second, func() (bool, string) { return rcv.Unique() == 1, "waiting for the alert" })
	e2etest.Settled(t, second.NATSURL(), 20*time.Second, e2etest.NATSAs(t, second.SecretsDir(), "dashboard")...)
	if n, d := len(rcv.Alerts()), rcv.Duplicates(); n != 1 || d != 0 {
		t.Fatalf("%d alerts, %d duplicates; want exactly one", n, d)
	}
}
