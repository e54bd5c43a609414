package allinone_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clinjobs/clinjobs/pkg/testwait"
	"github.com/clinjobs/clinjobs/services/clinjobs/allinone"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// TestDashboardInABrowser drives Debian's Chromium, headless, through the
// operators' page: it signs in with the operator key, sees every service,
// sees a failed alert become a dead letter, replays it, and sees the
// delivered alert arrive in the rates. A screenshot is saved in the test's
// temporary directory.
func TestDashboardInABrowser(t *testing.T) {
	t.Parallel()
	sys, api := startWith(t, allinone.Config{DeliveryRetries: []time.Duration{50 * time.Millisecond}})
	var failing atomic.Bool
	var delivered atomic.Int32
	failing.Store(true)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if failing.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		delivered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)

	ctx := browserTab(t)
	count := func(selector string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(selector)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", selector, err)
		}
		return n
	}
	waitFor := func(what, js string) {
		t.Helper()
		testwait.Until(t, 30*time.Second, "the page to show "+what, func() bool {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return ok
		})
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(api.Dashboard+"/dashboard/"),
		chromedp.WaitVisible(chromedp.ID("key")),
		chromedp.SendKeys(chromedp.ID("name"), "Browser Test"),
		chromedp.SendKeys(chromedp.ID("key"), sys.OperatorKey),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.CSS("#services tr.instance")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	for _, svc := range []string{"ingest", "matching", "notification", "dashboard"} {
		waitFor("the "+svc+" instance", `document.querySelector('#services tr.instance[data-service="`+svc+`"]') !== null`)
	}

	key := api.CreateTrust(t, "RHM", "University Hospital Southampton")
	id, token := api.SignUp(t, e2etest.Candidate("b@example.org", e2etest.ManchesterRI, 40))
	api.SubscribeWebhook(t, id, token, rcv.URL)
	api.PostVacancy(t, key, e2etest.Vacancy("BR-1", e2etest.ManchesterRI, time.Now(), 14*24*time.Hour))
	waitFor("the dead letter", `document.querySelector('#deadletters tr.deadletter') !== null`)
	if n := count("#deadletters tr.deadletter"); n != 1 {
		t.Fatalf("%d dead letters on the page, want 1", n)
	}
	failing.Store(false)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#deadletters button.replay")),
		chromedp.WaitVisible(chromedp.ID("result")),
	); err != nil {
		t.Fatalf("replay: %v", err)
	}
	e2etest.Eventually(t, 20*time.Second, func() (bool, string) { return delivered.Load() == 1, "the replayed alert" })
	waitFor("the delivered alert in the rates",
		`Number(document.querySelector('#rates tr.rate[data-rate="alerts_delivered_webhook"] td[data-hour]')?.dataset.hour ?? 0) >= 1`)
	waitFor("no dead letter", `document.querySelector('#deadletters tr.deadletter') === null`)
	if n := count(`#audit tr.audit[data-action="deadletter.replay"]`); n != 1 {
		t.Errorf("%d replays in the audit log, want 1", n)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.TempDir(), "dashboard.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
}
