package index

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// TestSlotTable: the table finds what a map finds through random puts and
// removes, growing and moving entries back as it goes.
func TestSlotTable(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	ids := map[uint32]string{} // slot to id, as the records would say
	idOf := func(slot uint32) string { return ids[slot] }
	want := map[string]uint32{}
	table := newSlotTable()
	next := uint32(0)
	for step := range 200_000 {
		id := fmt.Sprint("id-", r.IntN(5000))
		slot, ok := table.get(id, idOf)
		if w, in := want[id]; ok != in || ok && slot != w {
			t.Fatalf("step %d: %s at %d, %v; want %d, %v", step, id, slot, ok, w, in)
		}
		switch {
		case !ok:
			ids[next] = id
			table.put(id, next, idOf)
			want[id] = next
			next++
		case r.IntN(2) == 0:
			table.remove(id, idOf)
			delete(want, id)
		}
		if table.n != len(want) {
			t.Fatalf("step %d: %d entries, want %d", step, table.n, len(want))
		}
	}
	n := 0
	table.each(func(slot uint32) {
		if want[ids[slot]] != slot {
			t.Fatalf("each gave slot %d of %s", slot, ids[slot])
		}
		n++
	})
	if n != len(want) {
		t.Fatalf("each gave %d slots, want %d", n, len(want))
	}
}

// TestIDStore: ids come back as they went in, across chunks, and after
// most candidates leave the store is compacted without losing anyone.
func TestIDStore(t *testing.T) {
	t.Parallel()
	var s idStore
	long := string(make([]byte, 3*idChunk))
	var refs []idRef
	for i := range 20000 {
		id := fmt.Sprintf("candidate-%d", i)
		if i == 777 {
			id = long
		}
		refs = append(refs, s.add(id))
	}
	for i, r := range refs {
		want := fmt.Sprintf("candidate-%d", i)
		if i == 777 {
			want = long
		}
		if got := s.get(r); got != want {
			t.Fatalf("id %d is %.20q, want %.20q", i, got, want)
		}
	}
	if len(s.chunks) < 4 {
		t.Fatalf("%d chunks for %d bytes", len(s.chunks), s.size)
	}

	ix := New()
	for i := range 30000 {
		ix.PutCandidate(&eventsv1.Candidate{
			Id: fmt.Sprintf("c%06d", i), Home: &eventsv1.Location{Latitude: 51.5, Longitude: -0.1},
			TravelRadiusKm: 10, RoleFamilies: []eventsv1.RoleFamily{eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER},
		}, 1)
	}
	before := len(ix.candIDs.chunks)
	for i := range 25000 {
		ix.RemoveCandidate(fmt.Sprintf("c%06d", i))
	}
	if n := len(ix.candIDs.chunks); n >= before || ix.candIDs.dead > idChunk {
		t.Fatalf("%d chunks, %d dead bytes after most candidates left; %d chunks before", n, ix.candIDs.dead, before)
	}
	for i := range 30000 {
		id := fmt.Sprintf("c%06d", i)
		c, _, ok := ix.Candidate(id)
		if ok != (i >= 25000) || ok && c.GetId() != id {
			t.Fatalf("%s: %v, %v", id, c.GetId(), ok)
		}
	}
	if n, _ := ix.Sizes(); n != 5000 || len(ix.CandidateIDs()) != 5000 {
		t.Fatalf("%d candidates, %d ids", n, len(ix.CandidateIDs()))
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	hits := ix.MatchVacancy(&eventsv1.Vacancy{
		Id: "v", Status: eventsv1.VacancyStatus_VACANCY_STATUS_OPEN, ClosesAtUnixMs: now.Add(time.Hour).UnixMilli(),
		RoleFamily: eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, Site: &eventsv1.Site{Location: &eventsv1.Location{Latitude: 51.5, Longitude: -0.1}},
	}, now)
	SortByID(hits)
	if len(hits) != 5000 || hits[0].ID != "c025000" || hits[4999].ID != "c029999" {
		t.Fatalf("%d matches after the store was compacted", len(hits))
	}
}
