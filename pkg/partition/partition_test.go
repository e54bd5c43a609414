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
