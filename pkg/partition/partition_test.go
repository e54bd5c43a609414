package partition_test

import (
	"fmt"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/partition"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"", "0-15", false},
		{"0-7", "0-7", false},
		{"8-15", "8-15", false},
		{"0,3,5-6,3", "0,3,5-6", false},
		{"16", "", true},
		{"7-3", "", true},
		{"x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			s, err := partition.Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && s.String() != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestKeysRoundTripAndSpread(t *testing.T) {
	t.Parallel()
	counts := make([]int, partition.Count)
	for i := range 16000 {
		id := fmt.Sprintf("c_%d", i)
		key := partition.Key(id)
		got, ok := partition.IDFromKey(key)
		if !ok || got != id {
			t.Fatalf("IDFromKey(%q) = %q, %v", key, got, ok)
		}
		counts[partition.Of(id)]++
	}
	for p, n := range counts {
		if n < 800 || n > 1200 {
			t.Errorf("partition %d holds %d of 16000 ids: badly spread", p, n)
		}
	}
}

func TestOfReplica(t *testing.T) {
	t.Parallel()
	tests := []struct {
		replicas int
		want     []string
	}{
		{1, []string{"0-15"}},
		{2, []string{"0-7", "8-15"}},
		{3, []string{"0-4", "5-9", "10-15"}},
		{4, []string{"0-3", "4-7", "8-11", "12-15"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.replicas), func(t *testing.T) {
			t.Parallel()
			for r, want := range tt.want {
				s, err := partition.OfReplica(r, tt.replicas)
				if err != nil {
					t.Fatal(err)
				}
				if s.String() != want {
					t.Errorf("replica %d of %d: got %s, want %s", r, tt.replicas, s, want)
				}
			}
		})
	}
}

// TestOfReplicaCovers checks, for every replica count, that every partition
// has exactly one owner and that no share is empty.
func TestOfReplicaCovers(t *testing.T) {
	t.Parallel()
	for n := 1; n <= partition.Count; n++ {
		owners := make([]int, partition.Count)
		for r := range n {
			s, err := partition.OfReplica(r, n)
			if err != nil {
				t.Fatalf("replica %d of %d: %v", r, n, err)
			}
			if len(s) == 0 {
				t.Errorf("replica %d of %d owns nothing", r, n)
			}
			for _, p := range s {
				owners[p]++
			}
		}
		for p, c := range owners {
			if c != 1 {
				t.Errorf("%d replicas: partition %d has %d owners", n, p, c)
			}
		}
	}
}

func TestOfReplicaRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]int{{0, 0}, {0, 17}, {2, 2}, {-1, 4}} {
		if _, err := partition.OfReplica(c[0], c[1]); err == nil {
			t.Errorf("OfReplica(%d, %d): no error", c[0], c[1])
		}
	}
}

func TestOrdinal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"3", 3, false},
		{"clinjobs-matching-0", 0, false},
		{"clinjobs-matching-12", 12, false},
		{"matching", 0, true},
		{"matching-", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := partition.Ordinal(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Ordinal(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
