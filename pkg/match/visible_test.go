package match_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// TestVisible: who sees a public, internal and restricted advert, by what
// each candidate declares of their employer.
func TestVisible(t *testing.T) {
	t.Parallel()
	const (
		public     = eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC
		internal   = eventsv1.PublishingOption_PUBLISHING_OPTION_INTERNAL
		restricted = eventsv1.PublishingOption_PUBLISHING_OPTION_RESTRICTED
		trust      = eventsv1.Audience_AUDIENCE_TRUST
		group      = eventsv1.Audience_AUDIENCE_GROUP
		nhs        = eventsv1.Audience_AUDIENCE_NHS
	)
	stranger := &eventsv1.Candidate{}
	ownStaff := &eventsv1.Candidate{Employment: &eventsv1.Employment{Trusts: []string{"RJ1"}, Nhs: true}}
	groupStaff := &eventsv1.Candidate{Employment: &eventsv1.Employment{Trusts: []string{"RYJ"}, Nhs: true}}
	otherStaff := &eventsv1.Candidate{Employment: &eventsv1.Employment{Trusts: []string{"RTH"}, Nhs: true}}
	ownAtRisk := &eventsv1.Candidate{Employment: &eventsv1.Employment{Trusts: []string{"RJ1"}, Nhs: true, RestrictedStatus: true}}
	nhsAtRisk := &eventsv1.Candidate{Employment: &eventsv1.Employment{Nhs: true, RestrictedStatus: true}}
	vacancy := func(o eventsv1.PublishingOption, a eventsv1.Audience) *eventsv1.Vacancy {
		v := &eventsv1.Vacancy{Trust: &eventsv1.TrustRef{Code: "RJ1"}, Publishing: &eventsv1.Publishing{Option: o, Audience: a}}
		if a == group {
			v.Publishing.GroupName, v.Publishing.GroupTrusts = "South East London", []string{"RYJ", "RJZ"}
		}
		return v
	}
	tests := []struct {
		name string
		v    *eventsv1.Vacancy
		// who sees it: stranger, own staff, group staff, other staff, own at risk, NHS at risk
		want [6]bool
	}{
		{"record of before (no option)", &eventsv1.Vacancy{}, [6]bool{true, true, true, true, true, true}},
		{"public", vacancy(public, 0), [6]bool{true, true, true, true, true, true}},
		{"internal to the trust", vacancy(internal, trust), [6]bool{false, true, false, false, true, false}},
		{"internal to the group", vacancy(internal, group), [6]bool{false, true, true, false, true, false}},
		{"internal to the NHS (not an option)", vacancy(internal, nhs), [6]bool{}},
		{"restricted to the trust", vacancy(restricted, trust), [6]bool{false, false, false, false, true, false}},
		{"restricted to the group", vacancy(restricted, group), [6]bool{false, false, false, false, true, false}},
		{"restricted nationally", vacancy(restricted, nhs), [6]bool{false, false, false, false, true, true}},
		{"internal without audience", vacancy(internal, 0), [6]bool{}},
	}
	for _, tt := range tests {
		for i, c := range []*eventsv1.Candidate{stranger, ownStaff, groupStaff, otherStaff, ownAtRisk, nhsAtRisk} {
			if got := match.Visible(c, tt.v); got != tt.want[i] {
				t.Errorf("%s, candidate %d: visible %v, want %v", tt.name, i, got, tt.want[i])
			}
		}
	}
	// The rule: a stranger is told nothing of the vacancy, and it is never a near miss.
	v := vacancy(internal, trust)
	v.Status, v.ClosesAtUnixMs = eventsv1.VacancyStatus_VACANCY_STATUS_OPEN, 1<<50
	r := match.Evaluate(stranger, v, now)
	if len(r.Misses) == 0 || r.Misses[0] != (match.Miss{Rule: match.RuleVisibility, Reason: "the vacancy is not advertised to you"}) {
		t.Fatalf("stranger: misses %v", r.Misses)
	}
	if _, ok := match.NearMiss(match.Result{Misses: r.Misses[:1]}); ok {
		t.Fatal("an invisible vacancy is a near miss")
	}
}
