package nhsjobs_test

import (
	"reflect"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/nhsjobs"
)

func TestInfer(t *testing.T) {
	t.Parallel()
	type r = nhsjobs.Requirement
	strip := func(rs []r) []r {
		for i := range rs {
			rs[i].Phrase = ""
		}
		return rs
	}
	for _, c := range []struct {
		name, text string
		want       []r
	}{
		{"nothing", "A friendly team in a busy hospital.", nil},
		{"headings", "Person specification. Essential: Registered with the RCT. HNC in electronic engineering. Desirable: Working towards IEng registration. IPEM member.",
			[]r{
				{Essential: true, Kind: "registration", Register: "rct", State: "registered"},
				{Essential: true, Kind: "award", Award: "hnc"},
				{Kind: "registration", Register: "ieng", State: "working_towards"},
				{Kind: "membership", Membership: "member"},
			}},
		{"no heading is essential", "Applicants need a 2:1 honours degree in engineering and HCPC registration as a clinical scientist.",
			[]r{{Essential: true, Kind: "registration", Register: "hcpc", State: "registered"}, {Essential: true, Kind: "degree", MinClass: "2:1"}}},
		{"apprenticeship", "You will study for a Level 3 apprenticeship in engineering.", []r{{Essential: true, Kind: "apprenticeship", Level: 3}}},
		{"eligible", "Eligible for registration with the AHCS.", []r{{Essential: true, Kind: "registration", Register: "ahcs", State: "eligible"}}},
		{"twice, essential first", "Desirable: RCT registration. Essential: RCT registration.",
			[]r{{Essential: true, Kind: "registration", Register: "rct", State: "registered"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := strip(nhsjobs.Infer(c.text)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Infer(%q)\n got %+v\nwant %+v", c.text, got, c.want)
			}
		})
	}
}
