package matchcache_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/redistest"
	"github.com/clinjobs/clinjobs/services/matching/internal/matchcache"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// The same suite runs against every implementation.
func TestCaches(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	impls := map[string]func(t *testing.T) matchcache.Cache{
		"memory": func(*testing.T) matchcache.Cache { return matchcache.NewMemory(clock) },
		"redis": func(t *testing.T) matchcache.Cache {
			return matchcache.NewRedis(redis.Client(t), clock, partition.All())
		},
	}
	for name, newCache := range impls {
		t.Run(name, func(t *testing.T) {
			// Subtests of one implementation share a Redis, so they run in turn.
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) {
					c := newCache(t)
					if err := c.Flush(context.Background()); err != nil {
						t.Fatal(err)
					}
					tc.run(t, c)
				})
			}
		})
	}
}

func closes(days int) int64 { return now.Add(time.Duration(days) * 24 * time.Hour).UnixMilli() }

func ids(rs []match.Ranked) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

var suite = []struct {
	name string
	run  func(t *testing.T, c matchcache.Cache)
}{
	{"missing lists are misses", func(t *testing.T, c matchcache.Cache) {
		ctx := context.Background()
		if _, _, err := c.CandidateMatches(ctx, "c1", 0, 10); !errors.Is(err, matchcache.ErrMiss) {
			t.Fatalf("err = %v, want ErrMiss", err)
		}
		if _, err := c.VacancyMembers(ctx, "v1"); !errors.Is(err, matchcache.ErrMiss) {
			t.Fatalf("err = %v, want ErrMiss", err)
		}
		if _, err := c.CandidateVacancies(ctx, "c1"); !errors.Is(err, matchcache.ErrMiss) {
			t.Fatalf("err = %v, want ErrMiss", err)
		}
		if err := c.PutCandidate(ctx, "c1", nil); err != nil {
			t.Fatal(err)
		}
		// An empty list is not a miss.
		if got, total, err := c.CandidateMatches(ctx, "c1", 0, 10); err != nil || total != 0 || len(got) != 0 {
			t.Fatalf("empty list = %v %d %v", got, total, err)
		}
	}},
	{"candidate list is ranked and paged", func(t *testing.T, c matchcache.Cache) {
		ctx := context.Background()
		list := []match.Ranked{
			{ID: "v-b", Score: 70, ClosesAtUnixMs: closes(10)},
			{ID: "v-a", Score: 70, ClosesAtUnixMs: closes(10)},
			{ID: "v-soon", Score: 70, ClosesAtUnixMs: closes(3)},
			{ID: "v-top", Score: 95, ClosesAtUnixMs: closes(20)},
			{ID: "v-low", Score: 10, ClosesAtUnixMs: closes(5)},
		}
		if err := c.PutCandidate(ctx, "c1", list); err != nil {
			t.Fatal(err)
		}
		want := []string{"v-top", "v-soon", "v-a", "v-b", "v-low"}
		got, total, err := c.CandidateMatches(ctx, "c1", 0, 10)
		if err != nil || total != 5 || !slices.Equal(ids(got), want) {
			t.Fatalf("list = %v %d %v, want %v", ids(got), total, err, want)
		}
		if got[0].Score != 95 || got[0].ClosesAtUnixMs != closes(20) {
			t.Errorf("first entry %+v lost its rank", got[0])
		}
		page, total, err := c.CandidateMatches(ctx, "c1", 2, 2)
		if err != nil || total != 5 || !slices.Equal(ids(page), want[2:4]) {
			t.Fatalf("page = %v %d %v", ids(page), total, err)
		}
		if page, _, _ := c.CandidateMatches(ctx, "c1", 5, 2); len(page) != 0 {
			t.Fatalf("page past the end = %v", ids(page))
		}
	}},
	{"vacancy joins cached lists only", func(t *testing.T, c matchcache.Cache) {
		ctx := context.Background()
		if err := c.PutCandidate(ctx, "cached", []match.Ranked{{ID: "v-old", Score: 50, ClosesAtUnixMs: closes(9)}}); err != nil {
			t.Fatal(err)
		}
		members := []matchcache.Member{{CandidateID: "cached", Score: 80}, {CandidateID: "uncached", Score: 60}}
		if err := c.PutVacancy(ctx, "v-new", closes(12), members); err != nil {
			t.Fatal(err)
		}
		got, _, err := c.CandidateMatches(ctx, "cached", 0, 10)
		if err != nil || !slices.Equal(ids(got), []string{"v-new", "v-old"}) {
			t.Fatalf("cached list = %v %v", ids(got), err)
		}
		// A list never computed stays a miss, not a list of one.
		if _, _, err := c.CandidateMatches(ctx, "uncached", 0, 10); !errors.Is(err, matchcache.ErrMiss) {
			t.Fatalf("uncached list err = %v, want ErrMiss", err)
		}
		prev, err := c.VacancyMembers(ctx, "v-new")
		if err != nil || !prev["cached"] || !prev["uncached"] || len(prev) != 2 {
			t.Fatalf("previous members %v %v", prev, err)
		}
	}},
	{"an edited vacancy leaves lists it no longer fits", func(t *testing.T, c matchcache.Cache) {
		ctx := context.Background()
		for _, id := range []string{"c1", "c2"} {
			if err := c.PutCandidate(ctx, id, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.PutVacancy(ctx, "v1", closes(5), []matchcache.Member{{CandidateID: "c1", Score: 40}, {CandidateID: "c2", Score: 40}}); err != nil {
			t.Fatal(err)
		}
		if err := c.PutVacancy(ctx, "v1", closes(5), []matchcache.Member{{CandidateID: "c2", Score: 45}}); err != nil {
			t.Fatal(err)
		}
		if got, total, _ := c.CandidateMatches(ctx, "c1", 0, 10); total != 0 {
			t.Fatalf("c1 still lists %v", ids(got))
		}
		if got, _, _ := c.CandidateMatches(ctx, "c2", 0, 10); len(got) != 1 || got[0].Score != 45 {
			t.Fatalf("c2 list %+v", got)
		}
		if prev, _ := c.VacancyMembers(ctx, "v1"); len(prev) != 1 || !prev["c2"] {
			t.Fatalf("members %v, want c2 alone", prev)
		}
	}},
	{"closing a vacancy removes it everywhere", func(t *testing.T, c matchcache.Cache) {
		ctx := context.Background()
		if err := c.PutCandidate(ctx, "c1", []match.Ranked{{ID: "v1", Score: 60, ClosesAtUnixMs: closes(5)}, {ID: "v2", Score: 50, ClosesAtUnixMs: closes(6)}}); err != nil {
			t.Fatal(err)
		}
		if err := c.PutVacancy(ctx, "v1", closes(5), []matchcache.Member{{CandidateID: "c1", Score: 60}}); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveVacancy(ctx, "v1"); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := c.CandidateMatches(ctx, "c1", 0, 10); !slices.Equal(ids(got), []string{"v2"}) {
			t.Fatalf("list %v, want [v2]", ids(got))
		}
		if err := c.PutVacancy(ctx, "v1", closes(5), nil); err != nil {
			t.Fatalf("the removed vacancy's members are still known: %v", err)
		}
	}},
	{"erasing a candidate leaves no trace", func(t *testing.T, c matchcache.Cache) {
		ctx := context.Background()
		if err := c.PutVacancy(ctx, "v1", closes(5), nil); err != nil {
			t.Fatal(err)
		}
		if err := c.PutCandidate(ctx, "c1", []match.Ranked{{ID: "v1", Score: 60, ClosesAtUnixMs: closes(5)}}); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveCandidate(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.CandidateMatches(ctx, "c1", 0, 10); !errors.Is(err, matchcache.ErrMiss) {
			t.Fatalf("erased candidate's list: %v", err)
		}
		if prev, _ := c.VacancyMembers(ctx, "v1"); len(prev) != 0 {
			t.Fatalf("the vacancy still lists %v after erasure", prev)
		}
	}},
}

// TestPartitionOwnersShareRedis: two replicas owning different partitions
// write the same vacancy's matches to one Redis; neither wipes the other's.
func TestPartitionOwnersShareRedis(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	low, _ := partition.Parse("0-7")
	high, _ := partition.Parse("8-15")
	a := matchcache.NewRedis(r.Client(t), clock, low)
	b := matchcache.NewRedis(r.Client(t), clock, high)
	var inA, inB []matchcache.Member
	for i := 0; len(inA) < 3 || len(inB) < 3; i++ {
		id := "c" + strconv.Itoa(i)
		if low.Owns(partition.Of(id)) {
			inA = append(inA, matchcache.Member{CandidateID: id, Score: 50})
		} else {
			inB = append(inB, matchcache.Member{CandidateID: id, Score: 50})
		}
	}
	ctx := context.Background()
	if err := a.PutVacancy(ctx, "v1", closes(5), inA); err != nil {
		t.Fatal(err)
	}
	if err := b.PutVacancy(ctx, "v1", closes(5), inB); err != nil {
		t.Fatal(err)
	}
	prevA, err := a.VacancyMembers(ctx, "v1")
	if err != nil || len(prevA) != len(inA) {
		t.Fatalf("replica a sees %v %v; want its own %d", prevA, err, len(inA))
	}
	prevB, err := b.VacancyMembers(ctx, "v1")
	if err != nil || len(prevB) != len(inB) {
		t.Fatalf("replica b sees %v %v; want its own %d", prevB, err, len(inB))
	}
	// Flushing one replica's partitions leaves the other's.
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VacancyMembers(ctx, "v1"); !errors.Is(err, matchcache.ErrMiss) {
		t.Fatalf("after a flush, a's sets: %v", err)
	}
	if prev, err := b.VacancyMembers(ctx, "v1"); err != nil || len(prev) != len(inB) {
		t.Fatalf("b's sets after a's flush: %v %v", prev, err)
	}
}

// TestScriptsSurviveAScriptFlush empties Redis's script cache, as a restart
// does, between writes that call the scripts by hash: they are loaded again
// and nothing is lost.
func TestScriptsSurviveAScriptFlush(t *testing.T) {
	t.Parallel()
	client := redistest.Start(t).Client(t)
	c := matchcache.NewRedis(client, clock, partition.All())
	ctx := context.Background()
	for round := range 2 {
		if err := client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		cand, vac := fmt.Sprintf("c%d", round), fmt.Sprintf("v%d", round)
		if err := c.PutCandidate(ctx, cand, []match.Ranked{{ID: "v-old", Score: 50, ClosesAtUnixMs: closes(5)}}); err != nil {
			t.Fatal(err)
		}
		if err := client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.PutVacancy(ctx, vac, closes(9), []matchcache.Member{{CandidateID: cand, Score: 80}}); err != nil {
			t.Fatal(err)
		}
		got, total, err := c.CandidateMatches(ctx, cand, 0, 10)
		if err != nil || total != 2 || !slices.Equal(ids(got), []string{vac, "v-old"}) {
			t.Fatalf("round %d: list %v %d %v, want the new vacancy added to the cached list", round, ids(got), total, err)
		}
	}
}
