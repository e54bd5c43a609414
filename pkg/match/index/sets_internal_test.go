package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRuns: runs hold the same slots as a plain set as disjoint runs are
// added at random, stay sorted, disjoint and apart, and fit finds the
// first run long enough.
func TestRuns(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	var rs runs
	in := make([]bool, 5000)
	for step := range 2000 {
		lo := r.IntN(len(in))
		hi := min(len(in), lo+1+r.IntN(20))
		if slices.Contains(in[lo:hi], true) {
			continue
		}
		rs.addRun(run{uint32(lo), uint32(hi)})
		for s := lo; s < hi; s++ {
			in[s] = true
		}
		if !slices.Equal(rs, runsOf(in)) {
			t.Fatalf("step %d: runs %v", step, rs)
		}
	}
	for n := 1; n < 30; n++ {
		i := rs.fit(n)
		for j, x := range rs {
			if long := int(x.hi-x.lo) >= n; long && (i < 0 || j < i) || j == i && !long {
				t.Fatalf("fit(%d) = %d in %v", n, i, rs)
			}
		}
	}
}

// runsOf returns the runs of the slots set in a plain set.
func runsOf(in []bool) runs {
	var rs runs
	for s, ok := range in {
		switch {
		case !ok:
		case len(rs) > 0 && rs[len(rs)-1].hi == uint32(s):
			rs[len(rs)-1].hi++
		default:
			rs = append(rs, run{uint32(s), uint32(s) + 1})
		}
	}
	return rs
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
		in := make([]bool, slots)
		for range r.IntN(20) {
			lo := r.IntN(slots)
			for s := lo; s < min(slots, lo+r.IntN(3000)); s++ {
				in[s] = true
			}
		}
		for range r.IntN(200) {
			in[r.IntN(slots)] = true
		}
		rs := runsOf(in)
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
