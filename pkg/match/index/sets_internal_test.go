package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRuns: runs hold the same slots as a plain set through random adds
// and removes, as sorted, disjoint runs, no two touching.
func TestRuns(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	var rs runs
	want := map[uint32]bool{}
	for i := range 20000 {
		slot := uint32(r.IntN(300))
		if r.IntN(3) == 0 {
			rs.remove(slot)
			delete(want, slot)
		} else {
			rs.add(slot)
			want[slot] = true
		}
		var got []uint32
		for j, x := range rs {
			if x.lo >= x.hi || j > 0 && rs[j-1].hi >= x.lo {
				t.Fatalf("step %d: runs %v", i, rs)
			}
			for s := x.lo; s < x.hi; s++ {
				got = append(got, s)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("step %d: runs hold %d slots, want %d", i, len(got), len(want))
		}
		for _, s := range got {
			if !want[s] {
				t.Fatalf("step %d: runs hold %d", i, s)
			}
		}
	}
}

// TestMarkSweep: the slots of random runs, long and short, that random
// terms admit, against testing each slot bit by bit; and the marks are all
// clear again after.
func TestMarkSweep(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	const slots = 5000
	sets := make([]bitset, 6)
	for i := range sets {
		sets[i].grow((slots + 63) / 64)
		for s := range uint32(slots) {
			if r.IntN(4) > 0 {
				sets[i].add(s)
			}
		}
	}
	has := func(t term, s uint32) bool {
		for _, b := range t {
			if b.words[s>>6]&(1<<(s&63)) != 0 {
				return true
			}
		}
		return false
	}
	for range 300 {
		var rs runs
		for range r.IntN(20) {
			lo := uint32(r.IntN(slots))
			for s := lo; s < min(slots, lo+uint32(r.IntN(3000))); s++ {
				rs.add(s)
			}
		}
		for range r.IntN(200) {
			rs.add(uint32(r.IntN(slots)))
		}
		var terms []term
		for range 1 + r.IntN(4) {
			tm := term{&sets[r.IntN(len(sets))]}
			if r.IntN(3) == 0 {
				tm = append(tm, &sets[r.IntN(len(sets))])
			}
			terms = append(terms, tm)
		}
		var want []uint32
		for _, x := range rs {
			for s := x.lo; s < x.hi; s++ {
				if !slices.ContainsFunc(terms, func(t term) bool { return !has(t, s) }) {
					want = append(want, s)
				}
			}
		}
		marks := make([]uint64, (slots+63)/64)
		lo, hi := len(marks), -1
		for _, x := range rs {
			markRun(marks, x)
			lo, hi = min(lo, int(x.lo>>6)), max(hi, int((x.hi-1)>>6))
		}
		if got := sweep(nil, marks, lo, hi, terms); !slices.Equal(got, want) {
			t.Fatalf("runs %v: %d slots, want %d", rs, len(got), len(want))
		}
		if slices.ContainsFunc(marks, func(w uint64) bool { return w != 0 }) {
			t.Fatal("marks left after the sweep")
		}
	}
}
