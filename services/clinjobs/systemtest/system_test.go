package systemtest_test

import (
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// TestPostedVacancyAlertsOnce runs every service from its image on a Docker
// network: a trust posts a vacancy and the one candidate it fits gets one
// alert, whose signature verifies, at a webhook served by this test.
func TestPostedVacancyAlertsOnce(t *testing.T) {
	t.Parallel()
	st := startStack(t)
	api := e2etest.API{
		Ingest: st.urls["ingest"], Matching: st.urls["matching"], Notification: st.urls["notification"],
		Dashboard: st.urls["dashboard"], OperatorKey: st.operatorKey,
	}
	rcv := e2etest.NewReceiver(t, "0.0.0.0:0")

	key := api.CreateTrust(t, "RJ1", "Guy's and St Thomas' NHS Foundation Trust")
	cand, token := api.SignUp(t, e2etest.Candidate("asha@example.org", e2etest.StThomas, 25))
	_, secret := api.SubscribeWebhook(t, cand, token, rcv.URL(st.gateway, "asha"))
	rcv.SetSecret(t, "asha", secret)
	vac := api.PostVacancy(t, key, e2etest.Vacancy("GSTT-SYS-1", e2etest.StThomas, time.Now(), 20*24*time.Hour))

	e2etest.Eventually(t, 30*time.Second, func() (bool, string) { return rcv.Unique() == 1, "waiting for the alert" })
	e2etest.Settled(t, st.nats, 30*time.Second, e2etest.NATSAs(t, st.secrets, "dashboard")...)
	alerts := rcv.Alerts()
	if len(alerts) != 1 || alerts[0].CandidateID != cand || alerts[0].VacancyID != vac {
		t.Fatalf("alerts %+v, want one for %s about %s", alerts, cand, vac)
	}
	if bad := rcv.Rejected(); len(bad) > 0 {
		t.Fatalf("receiver refused %v", bad)
	}
	checkBus(t, st)
	checkRedis(t, st)
}
