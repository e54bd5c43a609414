package ingest_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/redistest"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// TestRateLimitsHoldAcrossReplicas runs two ingest replicas on one NATS and
// one Redis: a trust over its limit is refused by either, with Retry-After,
// and another trust is not affected.
func TestRateLimitsHoldAcrossReplicas(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	ns := natstest.Start(t)
	client := r.Client(t)
	a := startOn(t, natstest.Connect(t, ns), withRedis(client), withLimits(5, 1000))
	b := startOn(t, natstest.Connect(t, ns), withRedis(client), withLimits(5, 1000))
	key := a.trust("RJ1")
	other := a.trust("RW3")
	for i := range 5 {
		f := a
		if i%2 == 1 {
			f = b
		}
		f.do("GET", "/v1/trust/vacancies", key, nil, nil).want(t, 200)
	}
	limited := b.do("GET", "/v1/trust/vacancies", key, nil, nil)
	refused(t, limited, 429)
	if ra, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q", limited.Header.Get("Retry-After"))
	}
	before := a.streamWrites()
	refused(t, a.do("POST", "/v1/vacancies", key, vacancy(t, "RL-1"), nil), 429)
	if a.streamWrites() != before {
		t.Error("a limited post wrote")
	}
	a.do("GET", "/v1/trust/vacancies", other, nil, nil).want(t, 200)
}

func TestAnonymousRateLimit(t *testing.T) {
	t.Parallel()
	f := start(t, withLimits(1000, 3))
	for range 3 {
		f.do("GET", "/v1/vacancies", "", nil, nil).want(t, 200)
	}
	f.do("GET", "/v1/vacancies", "", nil, nil).want(t, 429)
}

func TestBodyLimitsAndTypes(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	big := vacancy(t, "BIG-1")
	big["description"] = strings.Repeat("x", 2<<20)
	f.do("POST", "/v1/vacancies", key, big, nil).want(t, 413)
	f.do("POST", "/v1/vacancies", key, "reference=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}).want(t, 415)
	var d problem.Details
	f.do("POST", "/v1/candidates", "", `{"email":"a@b.co"} trailing`, nil).want(t, 400).json(t, &d)
	if d.Type != "urn:clinjobs:problem:malformed" {
		t.Fatalf("problem %+v", d)
	}
	f.do("POST", "/v1/candidates", "", "{\"name\":\"\xff\"}", nil).want(t, 400)
	f.do("POST", "/v1/candidates", "", `{"email":"a@b.co","travel_radius_km":1e30}`, nil).want(t, 422)
	// Nothing of the refused requests was stored.
	var l ingest.VacancyList
	f.do("GET", "/v1/trust/vacancies", key, nil, nil).want(t, 200).json(t, &l)
	if len(l.Vacancies) != 0 {
		t.Fatalf("%d vacancies after refused posts", len(l.Vacancies))
	}
}

// TestGazetteerLoad loads a postcode file and signs up with one of its
// postcodes: the home is placed at the postcode, not the area's centre.
func TestGazetteerLoad(t *testing.T) {
	t.Parallel()
	f := start(t)
	file, err := os.Open("testdata/postcodes.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	js, err := jetstream.New(f.nc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.LoadPostcodes(context.Background(), js, 1, file)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Postcodes != 4 || rep.Districts != 2 || rep.Rejected != 2 {
		t.Fatalf("report %+v", rep)
	}
	p := example(t, "candidate.json")
	for pc, want := range map[string][2]float64{
		"se1 7eh": {51.498997, -0.118684}, // the postcode itself
		"SE1 2AA": {51.502453, -0.10246},  // not loaded, but its district is: the centre of the district
		"LS1 3EX": {53.8008, -1.5491},     // not loaded: the area's centre
	} {
		p["home"] = map[string]any{"postcode": pc}
		var out ingest.SignedUp
		f.do("POST", "/v1/candidates", "", p, nil).want(t, 201).json(t, &out)
		if h := out.Candidate.Home; h.Latitude != want[0] || h.Longitude != want[1] {
			t.Errorf("%s placed at %v,%v, want %v", pc, h.Latitude, h.Longitude, want)
		}
	}
}
