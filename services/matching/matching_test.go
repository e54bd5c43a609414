package matching_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/match/index"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/matching"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type world struct {
	t          *testing.T
	nc         *nats.Conn
	js         jetstream.JetStream
	vacancies  *bus.Store
	candidates *bus.Store
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := bus.EnsureShared(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	pub := bus.NewPublisher(js)
	w := &world{t: t, nc: nc, js: js}
	if w.vacancies, err = bus.NewStore(ctx, js, pub, bus.BucketVacancies); err != nil {
		t.Fatal(err)
	}
	if w.candidates, err = bus.NewStore(ctx, js, pub, bus.BucketCandidates); err != nil {
		t.Fatal(err)
	}
	return w
}

type replica struct {
	svc    *matching.Service
	srv    *httptest.Server
	client *http.Client
}

func (w *world) start(parts string, r redis.UniversalClient) *replica {
	w.t.Helper()
	set, err := partition.Parse(parts)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx := context.Background()
	svc, err := matching.New(ctx, matching.Config{Partitions: set}, matching.Deps{
		Log: logging.Discard(), NC: w.nc, Redis: r, Now: func() time.Time { return now },
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	srv := httptest.NewServer(svc.Handler())
	w.t.Cleanup(srv.Close)
	v := openapitest.NewValidator(w.t, matching.Document())
	rep := &replica{svc: svc, srv: srv, client: &http.Client{Transport: &openapitest.Transport{T: w.t, Validator: v, Requests: openapitest.NewRequestChecker(w.t, matching.Document())}}}
	w.eventually(func() bool { return rep.get(w.t, "/readyz", "", nil) == 200 }, "replica "+parts+" ready")
	return rep
}

func (r *replica) get(t *testing.T, path, token string, into any) int {
	t.Helper()
	return r.getWith(t, path, token, into, nil)
}

func (r *replica) getWith(t *testing.T, path, token string, into any, header *http.Header) int {
	t.Helper()
	req, _ := http.NewRequest("GET", r.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if into != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatal(err)
		}
	}
	if header != nil {
		*header = resp.Header
	}
	return resp.StatusCode
}

func (w *world) eventually(cond func() bool, what string) {
	w.t.Helper()
	testwait.Until(w.t, 15*time.Second, what, cond)
}

// candidate stores a clinical technologist living at lat, lon within 30 km
// and returns them with their token.
func (w *world) candidate(i int, lat, lon float64, regs ...eventsv1.Registration) (*eventsv1.Candidate, string) {
	w.t.Helper()
	c := &eventsv1.Candidate{
		Id: fmt.Sprintf("ccandidate%010d", i), Email: fmt.Sprintf("c%d@example.org", i),
		Home: &eventsv1.Location{Latitude: lat, Longitude: lon}, TravelRadiusKm: 30,
		RoleFamilies: []eventsv1.RoleFamily{eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_TECHNOLOGIST},
		MinBand:      eventsv1.Band_BAND_4,
		Qualifications: &eventsv1.Qualifications{
			Degree:        &eventsv1.Degree{Subject: eventsv1.DegreeSubject_DEGREE_SUBJECT_BIOMEDICAL_ENGINEERING, Class: eventsv1.DegreeClass_DEGREE_CLASS_UPPER_SECOND},
			Registrations: regs,
		},
	}
	secret, hash := auth.NewSecret()
	rec := &eventsv1.CandidateChanged{Change: eventsv1.CandidateChange_CANDIDATE_CHANGE_SIGNED_UP, Candidate: c, TokenHash: hash}
	if _, err := w.candidates.Create(context.Background(), partition.Key(c.GetId()), "c"+c.GetId(), rec); err != nil {
		w.t.Fatal(err)
	}
	return c, auth.Credential{Prefix: auth.CandidateTokenPrefix, Owner: c.GetId(), Secret: secret}.String()
}

// vacancy stores an open band 5 clinical technologist vacancy at lat, lon.
func (w *world) vacancy(i int, lat, lon float64, regs ...eventsv1.Registration) *eventsv1.Vacancy {
	w.t.Helper()
	v := &eventsv1.Vacancy{
		Id: fmt.Sprintf("vvacancy%012d", i), Title: fmt.Sprintf("Vacancy %d", i),
		Trust: &eventsv1.TrustRef{Code: "RJ1", Name: "Guy's and St Thomas'"}, RoleFamily: eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_TECHNOLOGIST,
		Band: eventsv1.Band_BAND_5, Contract: eventsv1.Contract_CONTRACT_PERMANENT, Hours: eventsv1.Hours_HOURS_FULL_TIME,
		Site:   &eventsv1.Site{Name: "Site", Location: &eventsv1.Location{Latitude: lat, Longitude: lon}},
		Status: eventsv1.VacancyStatus_VACANCY_STATUS_OPEN, ClosesAtUnixMs: now.Add(20 * 24 * time.Hour).UnixMilli(),
		Requirements: &eventsv1.Requirements{Registrations: regs},
	}
	w.putVacancy(v)
	return v
}

func (w *world) putVacancy(v *eventsv1.Vacancy) {
	w.t.Helper()
	ctx := context.Background()
	rec := &eventsv1.VacancyChanged{Change: eventsv1.VacancyChange_VACANCY_CHANGE_POSTED, Vacancy: v}
	var old eventsv1.VacancyChanged
	rev, err := w.vacancies.Get(ctx, v.GetId(), &old)
	if err != nil {
		_, err = w.vacancies.Create(ctx, v.GetId(), "v"+v.GetId()+fmt.Sprint(time.Now().UnixNano()), rec)
	} else {
		_, err = w.vacancies.Update(ctx, v.GetId(), rev, rec)
	}
	if err != nil {
		w.t.Fatal(err)
	}
}

// announced counts the MatchFound messages of each pair in the stream.
func (w *world) announced() map[string]int {
	w.t.Helper()
	ctx := context.Background()
	cons, err := w.js.OrderedConsumer(ctx, bus.StreamMatches, jetstream.OrderedConsumerConfig{})
	if err != nil {
		w.t.Fatal(err)
	}
	stream, _ := w.js.Stream(ctx, bus.StreamMatches)
	info, _ := stream.Info(ctx)
	out := map[string]int{}
	for range info.State.Msgs {
		msg, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			w.t.Fatal(err)
		}
		var m eventsv1.MatchFound
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			w.t.Fatal(err)
		}
		out[m.GetCandidateId()+"/"+m.GetVacancy().GetId()]++
	}
	return out
}

func settle(t *testing.T, w *world) {
	t.Helper()
	w.eventually(func() bool {
		streams := w.js.ListStreams(context.Background())
		for s := range streams.Info() {
			stream, _ := w.js.Stream(context.Background(), s.Config.Name)
			for c := range stream.ListConsumers(context.Background()).Info() {
				if c.Config.Durable != "" && (c.NumPending > 0 || c.NumAckPending > 0) {
					return false
				}
			}
		}
		return true
	}, "consumers settled")
}

// TestTwoPartitionOwnersAnnounceEachMatchOnce runs two replicas owning half
// the partitions each against one NATS: every match is announced exactly
// once, and either replica answers any candidate's list, the same as the
// reference matcher.
func TestTwoPartitionOwnersAnnounceEachMatchOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	low := w.start("0-7", nil)
	high := w.start("8-15", nil)
	ref := index.NewReference()
	tokens := map[string]string{}
	var cands []*eventsv1.Candidate
	for i := range 40 {
		c, tok := w.candidate(i, 51.50+float64(i%5)*0.01, -0.12, eventsv1.Registration_REGISTRATION_RCT)
		cands = append(cands, c)
		tokens[c.GetId()] = tok
		ref.PutCandidate(c)
	}
	for i := range 8 {
		lat := 51.50
		if i%4 == 3 {
			lat = 53.48 // Manchester: out of everyone's reach
		}
		ref.PutVacancy(w.vacancy(i, lat, -0.12))
	}
	// And one more candidate after the vacancies: the other direction.
	late, lateTok := w.candidate(99, 51.505, -0.121)
	ref.PutCandidate(late)
	cands = append(cands, late)
	tokens[late.GetId()] = lateTok
	settle(t, w)

	want := 0
	for _, c := range cands {
		want += len(ref.MatchCandidate(c, now))
	}
	got := w.announced()
	total := 0
	for pair, n := range got {
		if n != 1 {
			t.Errorf("%s announced %d times", pair, n)
		}
		total += n
	}
	if total != want || want != 41*6 {
		t.Fatalf("announced %d matches, reference finds %d (want 41 candidates × 6 vacancies)", total, want)
	}
	for i, c := range cands {
		r := low
		if i%2 == 1 {
			r = high
		}
		var list matching.MatchList
		if code := r.get(t, "/v1/candidates/"+c.GetId()+"/matches?limit=100", tokens[c.GetId()], &list); code != 200 {
			t.Fatalf("matches of %s: %d", c.GetId(), code)
		}
		refList := ref.MatchCandidate(c, now)
		if list.Total != len(refList) || len(list.Matches) != len(refList) {
			t.Fatalf("%s: %d matches, reference %d", c.GetId(), list.Total, len(refList))
		}
		for j := range refList {
			if list.Matches[j].Vacancy.ID != refList[j].ID || list.Matches[j].Score != refList[j].Score {
				t.Fatalf("%s: match %d is %s/%d, reference %s/%d", c.GetId(), j, list.Matches[j].Vacancy.ID, list.Matches[j].Score, refList[j].ID, refList[j].Score)
			}
		}
	}
	// An edit that keeps every match announces nothing new.
	v := ref.MatchCandidate(cands[0], now)[0]
	var rec eventsv1.VacancyChanged
	if _, err := w.vacancies.Get(context.Background(), v.ID, &rec); err != nil {
		t.Fatal(err)
	}
	edited := rec.GetVacancy()
	edited.Title = "Senior " + edited.Title
	w.putVacancy(edited)
	settle(t, w)
	after := 0
	for _, n := range w.announced() {
		after += n
	}
	if after != total {
		t.Fatalf("an edit that kept every match announced %d more", after-total)
	}
}

func TestRoutesDocumented(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.start("", nil)
	openapitest.CheckRoutes(t, r.svc.Handler().(*gin.Engine), matching.Document())
}

func TestNearMisses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.start("", nil)
	c, tok := w.candidate(1, 51.50, -0.12)
	w.vacancy(1, 51.50, -0.12, eventsv1.Registration_REGISTRATION_HCPC)
	w.vacancy(2, 51.50, -0.12)
	settle(t, w)
	var nm matching.NearMisses
	if code := r.get(t, "/v1/candidates/"+c.GetId()+"/near-misses", tok, &nm); code != 200 {
		t.Fatalf("near misses: %d", code)
	}
	if len(nm.NearMisses) != 1 || nm.NearMisses[0].Requirement != "registration" || nm.NearMisses[0].Missing != "needs HCPC registration" {
		t.Fatalf("near misses %+v", nm)
	}
	// Another candidate's token opens nothing here.
	_, other := w.candidate(2, 51.50, -0.12)
	if code := r.get(t, "/v1/candidates/"+c.GetId()+"/near-misses", other, nil); code != 404 {
		t.Fatalf("another's token: %d", code)
	}
}

func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.start("0-7", nil)
	w.start("8-15", nil)
	for i := range 10 {
		w.candidate(i, 51.50, -0.12)
	}
	near := w.vacancy(1, 51.50, -0.12)
	far := w.vacancy(2, 57.15, -2.09)
	settle(t, w)
	gather := func(subject string, req any) []map[string]any {
		data, _ := json.Marshal(req)
		inbox := nats.NewInbox()
		sub, _ := w.nc.SubscribeSync(inbox)
		defer sub.Unsubscribe()
		if err := w.nc.PublishRequest(subject, inbox, data); err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for {
			m, err := sub.NextMsg(time.Second)
			if err != nil {
				return out
			}
			var v map[string]any
			_ = json.Unmarshal(m.Data, &v)
			out = append(out, v)
		}
	}
	answers := gather("clinjobs.matching.counts", map[string]any{"vacancy_ids": []string{near.GetId(), far.GetId()}})
	if len(answers) != 2 {
		t.Fatalf("%d replicas answered", len(answers))
	}
	sum := 0.0
	for _, a := range answers {
		counts := a["counts"].(map[string]any)
		sum += counts[near.GetId()].(float64)
		if counts[far.GetId()].(float64) != 0 {
			t.Errorf("the far vacancy matched: %v", a)
		}
	}
	if sum != 10 {
		t.Fatalf("counts add up to %v, want 10", sum)
	}
	market := gather("clinjobs.matching.market", struct{}{})
	n := 0.0
	for _, a := range market {
		n += a["candidates_by_role_family"].(map[string]any)["clinical_technologist"].(float64)
	}
	if n != 10 {
		t.Fatalf("market counts %v", market)
	}
	if got := gather("clinjobs.matching.cache.rebuild", struct{}{}); len(got) != 2 {
		t.Fatalf("rebuild answers %v", got)
	}
}
