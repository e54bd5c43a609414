package allinone_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/pkg/redistest"
	"github.com/clinjobs/clinjobs/services/clinjobs/allinone"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// TestErasureLeavesNothing erases a candidate who signed up, matched and
// was alerted, and then looks in every store the system has.
func TestErasureLeavesNothing(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	sys, api := startWith(t, allinone.Config{Redis: redisclient.Config{Addrs: []string{r.Addr}}})
	rcv := e2etest.NewReceiver(t, "127.0.0.1:0")
	key := api.CreateTrust(t, "RJ1", "Guy's and St Thomas'")

	var signed struct {
		Candidate struct {
			ID string `json:"id"`
		} `json:"candidate"`
		Token string `json:"token"`
	}
	resp, err := api.Try(http.MethodPost, api.Ingest+"/v1/candidates", "", e2etest.Candidate("erase-me@example.org", e2etest.StThomas, 30),
		http.Header{"Idempotency-Key": {"signup-erase-me"}})
	if err != nil || resp.Status != 201 {
		t.Fatalf("sign-up: %v %d %s", err, resp.Status, resp.Body)
	}
	resp.JSON(t, &signed)
	id, token := signed.Candidate.ID, signed.Token
	_, secret := api.SubscribeWebhook(t, id, token, rcv.URL("127.0.0.1", "erase-me"))
	rcv.SetSecret(t, "erase-me", secret)
	vac := api.PostVacancy(t, key, e2etest.Vacancy("ER-1", e2etest.StThomas, time.Now(), 20*24*time.Hour))
	e2etest.Eventually(t, 20*time.Second, func() (bool, string) { return rcv.Unique() == 1, "the alert" })
	e2etest.Settled(t, sys.NATSURL(), 20*time.Second, e2etest.NATSAs(t, sys.SecretsDir(), "dashboard")...)
	client := r.Client(t)
	if n := redisMentions(t, client, id, vac); n == 0 {
		t.Fatal("the cache held nothing of the candidate before erasure; the test would prove nothing")
	}

	api.Do(t, http.MethodDelete, api.Ingest+"/v1/candidates/"+id, token, nil).Expect(t, http.StatusNoContent)
	e2etest.Settled(t, sys.NATSURL(), 20*time.Second, e2etest.NATSAs(t, sys.SecretsDir(), "dashboard")...)

	for name, url := range map[string]string{
		"ingest": api.Ingest + "/v1/candidates/" + id, "matching": api.Matching + "/v1/candidates/" + id + "/matches",
		"notification": api.Notification + "/v1/candidates/" + id + "/subscriptions",
	} {
		api.Do(t, http.MethodGet, url, token, nil).Expect(t, http.StatusUnauthorized)
		_ = name
	}
	nc, err := nats.Connect(sys.NATSURL(), e2etest.NATSAs(t, sys.SecretsDir(), "ingest")...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stream, err := js.Stream(ctx, bus.KVStream(bus.BucketCandidates))
	if err != nil {
		t.Fatal(err)
	}
	last, err := stream.GetLastMsgForSubject(ctx, "$KV.candidates."+partition.Key(id))
	if err != nil || len(last.Data) != 0 || last.Header.Get("KV-Operation") != "PURGE" {
		t.Fatalf("candidates stream still holds the profile: %v %q", err, last.Data)
	}
	idem, err := js.KeyValue(ctx, "idempotency")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := idem.ListKeys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		t.Fatal(err)
	}
	if err == nil {
		n := 0
		for range keys.Keys() {
			n++
		}
		if n != 0 {
			t.Fatalf("the sign-up's idempotency entry (with its token) is still there: %d entries", n)
		}
	}
	// The rest is notification's to read (its buckets, the streams it
	// purges on erasure): nobody else may.
	ncNotify, err := nats.Connect(sys.NATSURL(), e2etest.NATSAs(t, sys.SecretsDir(), "notification")...)
	if err != nil {
		t.Fatal(err)
	}
	defer ncNotify.Close()
	jsNotify, err := jetstream.New(ncNotify)
	if err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{"subscriptions", "alerts", "digests", "deadletters"} {
		kv, err := jsNotify.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := kv.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for k := range keys.Keys() {
			if strings.Contains(k, id) {
				t.Errorf("bucket %s still has %s", bucket, k)
			}
		}
	}
	for _, p := range []struct{ stream, subject string }{
		{bus.StreamMatches, bus.MatchSubject(id)}, {bus.StreamAlerts, bus.AlertSubject("delivered", "webhook", id)},
		{"LIVE", "live." + id}, {"REMINDERS", "reminders.at." + id + ".>"}, {"REMINDERS", "reminders.due." + id},
	} {
		st, err := jsNotify.Stream(ctx, p.stream)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetLastMsgForSubject(ctx, p.subject); !errors.Is(err, jetstream.ErrMsgNotFound) {
			t.Errorf("stream %s still has %s: %v", p.stream, p.subject, err)
		}
	}
	e2etest.Eventually(t, 10*time.Second, func() (bool, string) {
		n := redisMentions(t, client, id, vac)
		return n == 0, "redis still mentions the candidate"
	})
}

// redisMentions counts the Redis keys named for the candidate and the
// vacancy sets that list them.
func redisMentions(t *testing.T, client *redis.Client, candidate, vacancy string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	iter := client.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if strings.Contains(k, candidate) {
			n++
		}
		if typ, _ := client.Type(ctx, k).Result(); typ == "set" {
			if ok, _ := client.SIsMember(ctx, k, candidate).Result(); ok {
				n++
			}
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
