package match_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/match"
)

func TestLess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b match.Ranked
		want bool
	}{
		{"higher score first", match.Ranked{ID: "b", Score: 80, ClosesAtUnixMs: 9}, match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 1}, true},
		{"lower score after", match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 1}, match.Ranked{ID: "b", Score: 80, ClosesAtUnixMs: 9}, false},
		{"same score, sooner closing first", match.Ranked{ID: "b", Score: 70, ClosesAtUnixMs: 1}, match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 2}, true},
		{"same score, later closing after", match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 2}, match.Ranked{ID: "b", Score: 70, ClosesAtUnixMs: 1}, false},
		{"same score and closing, lower id first", match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 1}, match.Ranked{ID: "b", Score: 70, ClosesAtUnixMs: 1}, true},
		{"same score and closing, higher id after", match.Ranked{ID: "b", Score: 70, ClosesAtUnixMs: 1}, match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 1}, false},
		{"identical", match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 1}, match.Ranked{ID: "a", Score: 70, ClosesAtUnixMs: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := match.Less(tt.a, tt.b); got != tt.want {
				t.Errorf("Less = %v, want %v", got, tt.want)
			}
			if got := match.Compare(tt.a, tt.b) < 0; got != tt.want {
				t.Errorf("Compare < 0 is %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLessStrictWeakOrder checks the laws sort relies on over every triple of
// a sample with many ties.
func TestLessStrictWeakOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	ids := []string{"", "a", "b", "vac-10", "vac-9"}
	var xs []match.Ranked
	for range 50 {
		xs = append(xs, match.Ranked{ID: ids[rng.IntN(len(ids))], Score: rng.IntN(3) * 50, ClosesAtUnixMs: int64(rng.IntN(3))})
	}
	less := match.Less
	equiv := func(a, b match.Ranked) bool { return !less(a, b) && !less(b, a) }
	for _, a := range xs {
		if less(a, a) {
			t.Fatalf("irreflexivity: %+v < itself", a)
		}
		for _, b := range xs {
			if less(a, b) && less(b, a) {
				t.Fatalf("asymmetry: %+v and %+v each before the other", a, b)
			}
			if c := match.Compare(a, b); (c < 0) != less(a, b) || (c == 0) != equiv(a, b) || c != -match.Compare(b, a) {
				t.Fatalf("Compare(%+v, %+v) = %d disagrees with Less", a, b, c)
			}
			for _, c := range xs {
				if less(a, b) && less(b, c) && !less(a, c) {
					t.Fatalf("transitivity: %+v < %+v < %+v", a, b, c)
				}
				if equiv(a, b) && equiv(b, c) && !equiv(a, c) {
					t.Fatalf("transitivity of equivalence: %+v ~ %+v ~ %+v", a, b, c)
				}
			}
		}
	}
	sorted := slices.Clone(xs)
	slices.SortFunc(sorted, match.Compare)
	for i := 1; i < len(sorted); i++ {
		if less(sorted[i], sorted[i-1]) {
			t.Fatalf("sorted out of order at %d: %+v before %+v", i, sorted[i-1], sorted[i])
		}
	}
}
