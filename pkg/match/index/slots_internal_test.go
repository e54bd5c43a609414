package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// TestSlots: through a bulk load and random joins, changes, moves and
// departures, every slot is owned by one cell or spare; a cell's free
// slots hold nobody and its other slots its candidates; and a cell grown
// one candidate at a time stays a few runs.
func TestSlots(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 3))
	candidate := func(i int) *eventsv1.Candidate {
		return &eventsv1.Candidate{
			Id:   fmt.Sprintf("c%d", i),
			Home: &eventsv1.Location{Latitude: 51 + r.Float64()*0.3, Longitude: -0.5 + r.Float64()*0.5},
			// Few radii and few cells, so that cells fill, empty and fill again.
			TravelRadiusKm:    []int32{10, 30}[r.IntN(2)],
			WillingToRelocate: r.IntN(20) == 0,
			RoleFamilies:      []eventsv1.RoleFamily{eventsv1.RoleFamily(1 + r.IntN(5))},
		}
	}
	ix := New()
	var b Builder
	for i := range 3000 {
		b.Add(candidate(i), 1)
	}
	ix.Load(&b)
	check(t, ix, "loaded")
	for step := range 20000 {
		i := r.IntN(5000)
		if r.IntN(3) == 0 {
			ix.RemoveCandidate(fmt.Sprintf("c%d", i))
		} else {
			ix.PutCandidate(candidate(i), uint64(step+2))
		}
		if step%1000 == 0 {
			check(t, ix, fmt.Sprint("step ", step))
		}
	}
	check(t, ix, "changed")

	// One at a time into an empty index: a cell of n candidates is a few
	// runs, some dozens at most, not n.
	ix = New()
	for i := range 20000 {
		c := candidate(i)
		c.TravelRadiusKm, c.WillingToRelocate = 1000, false
		ix.PutCandidate(c, 1)
	}
	check(t, ix, "one at a time")
	for _, c := range ix.cb.cells[radiusClass(1000)] {
		if len(c.owned) > 40 {
			t.Fatalf("a cell of %d candidates is %d runs", c.n, len(c.owned))
		}
	}
}

// check verifies the slots' bookkeeping.
func check(t *testing.T, ix *Index, when string) {
	t.Helper()
	b := ix.cb
	owner := make([]string, b.slots)
	own := func(rs runs, who string) {
		for i, x := range rs {
			if x.lo >= x.hi || i > 0 && rs[i-1].hi >= x.lo {
				t.Fatalf("%s: %s's runs %v", when, who, rs)
			}
			for s := x.lo; s < x.hi; s++ {
				if owner[s] != "" {
					t.Fatalf("%s: slot %d is %s's and %s's", when, s, owner[s], who)
				}
				owner[s] = who
			}
		}
	}
	own(b.spare, "spare")
	cells := map[string]*cell{"relocating": b.relocating}
	for class := range b.cells {
		for key, c := range b.cells[class] {
			cells[fmt.Sprint(class, key)] = c
		}
	}
	for who, c := range cells {
		own(c.owned, who)
		size := 0
		for _, x := range c.owned {
			size += int(x.hi - x.lo)
		}
		if c.n != size-len(c.free) || c.n == 0 && who != "relocating" {
			t.Fatalf("%s: cell %s holds %d in %d slots, %d free", when, who, c.n, size, len(c.free))
		}
		for _, s := range c.free {
			if owner[s] != who || ix.cands[s] != (cand{}) {
				t.Fatalf("%s: free slot %d of %s is %s's, holding %+v", when, s, who, owner[s], ix.cands[s])
			}
		}
	}
	if i := slices.Index(owner, ""); i >= 0 {
		t.Fatalf("%s: slot %d of %d is nobody's", when, i, b.slots)
	}
	held := 0
	ix.candSlot.each(func(slot uint32) {
		held++
		x := &ix.cands[slot]
		h := homeOf(x)
		who := "relocating"
		if !h.relocate {
			who = fmt.Sprint(h.class, h.key)
		}
		if owner[slot] != who || slices.Contains(cells[who].free, slot) {
			t.Fatalf("%s: %s in slot %d, which is %s's, not their cell %s's", when, ix.candIDs.get(x.id), slot, owner[slot], who)
		}
		if got, ok := ix.candSlot.get(ix.candIDs.get(x.id), ix.candID); !ok || got != slot {
			t.Fatalf("%s: %s found at %d, not %d", when, ix.candIDs.get(x.id), got, slot)
		}
	})
	n := 0
	for _, c := range cells {
		n += c.n
	}
	if n != held || len(ix.cands) != b.slots {
		t.Fatalf("%s: cells hold %d, the table %d; %d records for %d slots", when, n, held, len(ix.cands), b.slots)
	}
}
