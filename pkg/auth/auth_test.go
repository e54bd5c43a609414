package auth_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/auth"
)

func TestSecrets(t *testing.T) {
	t.Parallel()
	s1, h1 := auth.NewSecret()
	s2, _ := auth.NewSecret()
	if s1 == s2 || len(s1) != 43 {
		t.Fatalf("secrets %q %q", s1, s2)
	}
	if !auth.Matches(h1, s1) || auth.Matches(h1, s2) || auth.Matches(nil, s1) || auth.Matches(h1[:10], s1) {
		t.Error("Matches is wrong")
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	secret, _ := auth.NewSecret()
	tests := []struct {
		in string
		ok bool
	}{
		{"cjt.RJ1.k1." + secret, true},
		{"cjc.cabc." + secret, true},
		{"cjo.bootstrap." + secret, true},
		{"cjt.RJ1." + secret, false},
		{"cjc.cabc.k1." + secret, false},
		{"cjx.RJ1.k1." + secret, false},
		{"cjc.cabc.short", false},
		{"cjc..", false},
		{"", false},
	}
	for _, tt := range tests {
		c, err := auth.Parse(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("Parse(%q) = %v", tt.in, err)
		}
		if err == nil && c.String() != tt.in {
			t.Errorf("%q does not round-trip: %q", tt.in, c.String())
		}
	}
	if tok, ok := auth.Bearer("Bearer abc"); !ok || tok != "abc" {
		t.Errorf("Bearer = %q %v", tok, ok)
	}
	if _, ok := auth.Bearer("Basic abc"); ok {
		t.Error("Basic taken for Bearer")
	}
}
