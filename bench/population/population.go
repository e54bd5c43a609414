// Package population generates a synthetic national population of
// candidates and vacancies for benchmarks: seeded and reproducible, spread
// over UK population centres in proportion to their people, with the
// qualifications and wishes each role family tends to have, and vacancies at
// NHS trusts' sites asking for what such posts ask for.
package population

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Centre is a population centre: where people live and trusts are.
type Centre struct {
	Name     string
	Lat, Lon float64
	// People in thousands (the built-up area, roughly), for weighting.
	People float64
	// Spread is how far around it people live, in degrees of latitude.
	Spread float64
}

// Centres are the UK's main population centres.
var Centres = []Centre{
	{"London", 51.507, -0.128, 9500, 0.18}, {"Birmingham", 52.486, -1.890, 2600, 0.12},
	{"Manchester", 53.480, -2.243, 2800, 0.12}, {"Leeds", 53.800, -1.549, 1900, 0.10},
	{"Glasgow", 55.864, -4.252, 1000, 0.08}, {"Liverpool", 53.408, -2.992, 900, 0.07},
	{"Newcastle", 54.978, -1.618, 800, 0.07}, {"Sheffield", 53.381, -1.470, 700, 0.06},
	{"Bristol", 51.454, -2.588, 700, 0.06}, {"Edinburgh", 55.953, -3.188, 550, 0.05},
	{"Leicester", 52.637, -1.140, 550, 0.05}, {"Nottingham", 52.954, -1.158, 750, 0.06},
	{"Cardiff", 51.482, -3.179, 480, 0.05}, {"Belfast", 54.597, -5.930, 600, 0.06},
	{"Southampton", 50.910, -1.404, 850, 0.07}, {"Brighton", 50.823, -0.137, 480, 0.05},
	{"Plymouth", 50.376, -4.143, 260, 0.04}, {"Hull", 53.768, -0.327, 320, 0.04},
	{"Stoke-on-Trent", 53.003, -2.179, 470, 0.05}, {"Coventry", 52.407, -1.520, 360, 0.04},
	{"Reading", 51.454, -0.978, 320, 0.04}, {"Aberdeen", 57.150, -2.094, 220, 0.04},
	{"Norwich", 52.631, 1.297, 210, 0.04}, {"Exeter", 50.718, -3.534, 130, 0.04},
	{"Oxford", 51.752, -1.258, 170, 0.03}, {"Cambridge", 52.205, 0.122, 160, 0.03},
	{"York", 53.960, -1.087, 210, 0.03}, {"Swansea", 51.621, -3.944, 300, 0.04},
	{"Dundee", 56.462, -2.971, 150, 0.03}, {"Inverness", 57.478, -4.225, 70, 0.05},
	{"Middlesbrough", 54.574, -1.235, 380, 0.04}, {"Bournemouth", 50.720, -1.880, 470, 0.05},
	{"Milton Keynes", 52.041, -0.759, 260, 0.03}, {"Ipswich", 52.057, 1.148, 180, 0.03},
	{"Peterborough", 52.570, -0.240, 200, 0.03}, {"Truro", 50.263, -5.051, 150, 0.08},
	{"Carlisle", 54.893, -2.933, 110, 0.05}, {"Lincoln", 53.231, -0.541, 130, 0.04},
	{"Preston", 53.763, -2.703, 330, 0.04}, {"Derby", 52.923, -1.475, 270, 0.04},
}

// Generator makes a population from a seed.
type Generator struct {
	r       *rand.Rand
	now     time.Time
	weights []float64
	total   float64
}

// New returns a generator; the same seed gives the same population.
func New(seed uint64, now time.Time) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, 0xc11e)), now: now}
	for _, c := range Centres {
		g.total += c.People
		g.weights = append(g.weights, g.total)
	}
	return g
}

func (g *Generator) centre() Centre {
	x := g.r.Float64() * g.total
	for i, w := range g.weights {
		if x < w {
			return Centres[i]
		}
	}
	return Centres[len(Centres)-1]
}

// place is a point near a centre, spread normally around it.
func (g *Generator) place(c Centre, spread float64) *eventsv1.Location {
	lat := c.Lat + g.r.NormFloat64()*spread
	lon := c.Lon + g.r.NormFloat64()*spread/math.Cos(c.Lat*math.Pi/180)
	return &eventsv1.Location{Latitude: math.Round(lat*1e6) / 1e6, Longitude: math.Round(lon*1e6) / 1e6}
}

func (g *Generator) chance(p float64) bool { return g.r.Float64() < p }

// weighted picks index i with weight ws[i].
func (g *Generator) weighted(ws ...float64) int {
	total := 0.0
	for _, w := range ws {
		total += w
	}
	x := g.r.Float64() * total
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

var families = []eventsv1.RoleFamily{
	eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_TECHNOLOGIST, eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER,
	eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST, eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE,
	eventsv1.RoleFamily_ROLE_FAMILY_APPRENTICE,
}

// engineering subjects, as the STP asks for them.
var engineering = []eventsv1.DegreeSubject{
	eventsv1.DegreeSubject_DEGREE_SUBJECT_MEDICAL_ENGINEERING, eventsv1.DegreeSubject_DEGREE_SUBJECT_BIOMEDICAL_ENGINEERING,
	eventsv1.DegreeSubject_DEGREE_SUBJECT_ELECTRICAL_ENGINEERING, eventsv1.DegreeSubject_DEGREE_SUBJECT_ELECTRONIC_ENGINEERING,
	eventsv1.DegreeSubject_DEGREE_SUBJECT_MECHANICAL_ENGINEERING,
}

func (g *Generator) specialisms(n int) []eventsv1.Specialism {
	set := map[eventsv1.Specialism]bool{}
	for range n {
		// Equipment management (EBME) is by far the commonest.
		s := eventsv1.Specialism(1 + g.weighted(40, 10, 5, 5, 8, 8, 8, 8, 8))
		set[s] = true
	}
	out := make([]eventsv1.Specialism, 0, len(set))
	for s := eventsv1.Specialism(1); s <= 9; s++ {
		if set[s] {
			out = append(out, s)
		}
	}
	return out
}

func (g *Generator) degree(minClass int) *eventsv1.Degree {
	subject := engineering[g.r.IntN(len(engineering))]
	switch g.weighted(70, 10, 8, 12) {
	case 1:
		subject = eventsv1.DegreeSubject_DEGREE_SUBJECT_PHYSICS
	case 2:
		subject = eventsv1.DegreeSubject_DEGREE_SUBJECT_OTHER_ENGINEERING
	case 3:
		subject = eventsv1.DegreeSubject(8 + g.r.IntN(3))
	}
	class := 1 + g.weighted(5, 30, 45, 20)
	return &eventsv1.Degree{Subject: subject, Class: eventsv1.DegreeClass(max(class, minClass))}
}

// Candidate returns the i'th candidate.
func (g *Generator) Candidate(i int) *eventsv1.Candidate {
	home := g.place(g.centre(), 0)
	home = g.place(Centre{Lat: home.GetLatitude(), Lon: home.GetLongitude()}, g.centreSpread(home))
	first := families[g.weighted(35, 25, 15, 15, 10)]
	wants := []eventsv1.RoleFamily{first}
	if g.chance(0.3) {
		if other := families[g.r.IntN(len(families))]; other != first {
			wants = append(wants, other)
		}
	}
	c := &eventsv1.Candidate{
		Id:    fmt.Sprintf("c%020d", i),
		Email: fmt.Sprintf("candidate%d@example.org", i),
		Home:  home,
		// Most people look for work within a commute (UK commutes are
		// mostly under 25 km); a few will travel far.
		TravelRadiusKm:    int32([]int{5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 200}[g.weighted(5, 15, 20, 20, 12, 10, 7, 5, 3, 2, 1)]),
		WillingToRelocate: g.chance(0.03),
		RoleFamilies:      wants,
		Specialisms:       g.specialisms(1 + g.r.IntN(3)),
		Qualifications:    &eventsv1.Qualifications{},
	}
	q := c.Qualifications
	switch first {
	case eventsv1.RoleFamily_ROLE_FAMILY_APPRENTICE:
		c.MinBand = eventsv1.Band(1 + g.r.IntN(2))
		q.ALevels = g.aLevels(g.r.IntN(4))
		q.Nvq = g.chance(0.4)
		q.YearsExperience = int32(g.r.IntN(3))
		if g.chance(0.2) {
			q.Degree = g.degree(0)
		}
	case eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_TECHNOLOGIST:
		c.MinBand = eventsv1.Band(3 + g.r.IntN(3))
		q.ALevels = g.aLevels(2 + g.r.IntN(2))
		q.Nvq = g.chance(0.2)
		q.YearsExperience = int32(g.r.IntN(16))
		if g.chance(0.6) {
			q.Degree = g.degree(0)
		}
		switch g.weighted(50, 30, 10, 10) {
		case 1:
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_RCT, eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED))
		case 2:
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_RCT, eventsv1.RegistrationState_REGISTRATION_STATE_WORKING_TOWARDS))
		case 3:
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_RCT, eventsv1.RegistrationState_REGISTRATION_STATE_ELIGIBLE))
		}
		if g.chance(0.5) {
			q.Awards = append(q.Awards, &eventsv1.AwardHeld{Award: eventsv1.Award(1 + g.r.IntN(2)), Subject: eventsv1.DegreeSubject_DEGREE_SUBJECT_ELECTRONIC_ENGINEERING})
		}
	case eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE:
		c.MinBand = eventsv1.Band_BAND_6
		q.ALevels = g.aLevels(3)
		q.Degree = g.degree(2)
		// Direct entry is recruited around January: many applicants are
		// final-year students on predicted classes.
		q.Degree.Predicted = g.chance(0.4)
		if g.chance(0.2) {
			q.Awards = append(q.Awards, &eventsv1.AwardHeld{Award: eventsv1.Award_AWARD_MSC, Subject: q.Degree.Subject, Predicted: g.chance(0.3)})
		}
		q.YearsExperience = int32(g.r.IntN(4))
	case eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST:
		c.MinBand = eventsv1.Band(5 + g.r.IntN(3))
		q.ALevels = g.aLevels(3)
		q.Degree = g.degree(2)
		q.Msc = g.chance(0.7)
		if g.chance(0.7) {
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_HCPC, eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED))
		} else if g.chance(0.5) {
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_HCPC, eventsv1.RegistrationState_REGISTRATION_STATE_WORKING_TOWARDS))
		}
		if g.chance(0.4) {
			q.IpemMembership = eventsv1.MembershipGrade_MEMBERSHIP_GRADE_MEMBER
		}
		if g.chance(0.5) {
			q.Awards = append(q.Awards, &eventsv1.AwardHeld{Award: eventsv1.Award_AWARD_STP_CERTIFICATE, Subject: eventsv1.DegreeSubject_DEGREE_SUBJECT_MEDICAL_ENGINEERING})
		}
		q.YearsExperience = int32(2 + g.r.IntN(19))
	default: // engineer
		c.MinBand = eventsv1.Band(4 + g.r.IntN(3))
		q.ALevels = g.aLevels(3)
		if g.chance(0.8) {
			q.Degree = g.degree(0)
			q.AccreditedDegree = g.chance(0.3)
		}
		switch g.weighted(50, 20, 20, 10) {
		case 1:
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_CENG, eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED))
		case 2:
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_IENG, eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED))
		case 3:
			q.RegistrationStates = append(q.RegistrationStates, registration(eventsv1.Registration_REGISTRATION_ENGTECH, eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED))
		}
		q.YearsExperience = int32(g.r.IntN(26))
	}
	// People look at their own band or the next: the minimum rises with
	// experience, within what the family pays.
	c.MinBand = min(c.MinBand+eventsv1.Band(q.GetYearsExperience()/4), eventsv1.Band_BAND_8B)
	if g.chance(0.3) {
		c.Contracts = []eventsv1.Contract{eventsv1.Contract_CONTRACT_PERMANENT}
		if g.chance(0.5) {
			c.Contracts = append(c.Contracts, eventsv1.Contract_CONTRACT_FIXED_TERM)
		}
	}
	if g.chance(0.15) {
		c.WorkingPatterns = []eventsv1.WorkingPattern{eventsv1.WorkingPattern(1 + g.r.IntN(2))}
		if g.chance(0.3) {
			c.WorkingPatterns = append(c.WorkingPatterns, eventsv1.WorkingPattern(3+g.r.IntN(6)))
		}
	}
	if g.chance(0.1) {
		c.Settings = []eventsv1.Setting{eventsv1.Setting(1 + g.weighted(70, 10, 12, 8))}
	}
	if g.chance(0.15) {
		c.MinSalary = 25000 + int32(c.MinBand)*7000
	}
	if g.chance(0.2) {
		c.AvailableFrom = g.now.AddDate(0, g.r.IntN(9), 0).Format("2006-01-02")
	}
	for _, s := range c.Specialisms {
		if g.chance(0.3) && q.YearsExperience > 0 {
			q.SpecialismExperience = append(q.SpecialismExperience, &eventsv1.SpecialismYears{Specialism: s, Years: 1 + int32(g.r.IntN(int(q.YearsExperience)))})
		}
	}
	return c
}

func registration(r eventsv1.Registration, s eventsv1.RegistrationState) *eventsv1.RegistrationHeld {
	return &eventsv1.RegistrationHeld{Register: r, State: s}
}

// The STP's entry rule, as the National School publishes it.
var stpEntry = &eventsv1.RequirementGroup{
	Label: "A 1st or 2:1 honours degree in a relevant subject, or a 2:2 plus a relevant higher degree",
	AnyOf: []*eventsv1.Alternative{
		{AllOf: []*eventsv1.Condition{{Kind: eventsv1.ConditionKind_CONDITION_KIND_DEGREE, MinClass: eventsv1.DegreeClass_DEGREE_CLASS_UPPER_SECOND, Subjects: engineering, PredictedOk: true}}},
		{AllOf: []*eventsv1.Condition{
			{Kind: eventsv1.ConditionKind_CONDITION_KIND_DEGREE, MinClass: eventsv1.DegreeClass_DEGREE_CLASS_LOWER_SECOND, PredictedOk: true},
			{Kind: eventsv1.ConditionKind_CONDITION_KIND_HIGHER_DEGREE, Subjects: engineering, PredictedOk: true},
		}},
	},
}

func group(label string, alts ...[]*eventsv1.Condition) *eventsv1.RequirementGroup {
	g := &eventsv1.RequirementGroup{Label: label}
	for _, a := range alts {
		g.AnyOf = append(g.AnyOf, &eventsv1.Alternative{AllOf: a})
	}
	return g
}

// centreSpread widens the spread around bigger places.
func (g *Generator) centreSpread(home *eventsv1.Location) float64 {
	best, bestD := Centres[0], math.Inf(1)
	for _, c := range Centres {
		if d := math.Hypot(c.Lat-home.GetLatitude(), c.Lon-home.GetLongitude()); d < bestD {
			best, bestD = c, d
		}
	}
	return best.Spread
}

func (g *Generator) aLevels(n int) []eventsv1.ALevelSubject {
	set := map[eventsv1.ALevelSubject]bool{}
	for len(set) < n {
		set[eventsv1.ALevelSubject(1+g.weighted(30, 8, 25, 10, 8, 6, 6, 3, 4))] = true
	}
	var out []eventsv1.ALevelSubject
	for s := eventsv1.ALevelSubject(1); s <= 9; s++ {
		if set[s] {
			out = append(out, s)
		}
	}
	return out
}

// Vacancy returns the i'th vacancy, open, at a site of a trust near a
// population centre.
func (g *Generator) Vacancy(i int) *eventsv1.Vacancy {
	centre := g.centre()
	trust := fmt.Sprintf("R%s%d", centre.Name[:2], g.r.IntN(4))
	family := families[g.weighted(35, 20, 20, 10, 15)]
	closes := g.now.Add(time.Duration(1+g.r.IntN(60*24)) * time.Hour).Truncate(24 * time.Hour)
	v := &eventsv1.Vacancy{
		Id:              fmt.Sprintf("v%020d", i),
		Trust:           &eventsv1.TrustRef{Code: trust, Name: centre.Name + " NHS Trust " + trust},
		Reference:       fmt.Sprintf("REF-%d", i),
		Title:           "Vacancy",
		RoleFamily:      family,
		Specialisms:     g.specialisms(1 + g.r.IntN(2)),
		Setting:         eventsv1.Setting(1 + g.weighted(70, 10, 12, 8)),
		Contract:        eventsv1.Contract(1 + g.weighted(70, 20, 5, 5)),
		WorkingPatterns: []eventsv1.WorkingPattern{eventsv1.WorkingPattern(1 + g.weighted(85, 15))},
		Site:            &eventsv1.Site{Name: centre.Name, Location: g.place(centre, centre.Spread/3)},
		Status:          eventsv1.VacancyStatus_VACANCY_STATUS_OPEN,
		ClosesAtUnixMs:  closes.UnixMilli(),
		Requirements:    &eventsv1.Requirements{},
	}
	r := v.Requirements
	switch family {
	case eventsv1.RoleFamily_ROLE_FAMILY_APPRENTICE:
		v.Band = eventsv1.Band(1 + g.r.IntN(2))
		v.Contract = eventsv1.Contract_CONTRACT_APPRENTICESHIP
		if g.chance(0.5) {
			r.MinALevels = 2
		}
		if g.chance(0.3) {
			r.ALevelSubjects = []eventsv1.ALevelSubject{eventsv1.ALevelSubject_A_LEVEL_SUBJECT_MATHEMATICS}
		}
		if g.chance(0.3) {
			r.Desirable = append(r.Desirable, group("A level physics or equivalent",
				[]*eventsv1.Condition{{Kind: eventsv1.ConditionKind_CONDITION_KIND_A_LEVELS, ALevelSubjects: []eventsv1.ALevelSubject{eventsv1.ALevelSubject_A_LEVEL_SUBJECT_PHYSICS}, PredictedOk: true}}))
		}
	case eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_TECHNOLOGIST:
		v.Band = eventsv1.Band(3 + g.r.IntN(3))
		if g.chance(0.5) {
			r.MinDegreeClass = eventsv1.DegreeClass_DEGREE_CLASS_LOWER_SECOND
			r.DegreeSubjects = engineering
		}
		switch g.weighted(40, 20, 40) {
		case 1:
			r.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_RCT}
		case 2:
			r.Essential = append(r.Essential, group("Registered with the RCT, or working towards it",
				[]*eventsv1.Condition{{Kind: eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION, Register: eventsv1.Registration_REGISTRATION_RCT,
					State: eventsv1.RegistrationState_REGISTRATION_STATE_WORKING_TOWARDS}}))
		}
		if g.chance(0.4) {
			r.MinYearsExperience = int32(1 + g.r.IntN(3))
		}
		if g.chance(0.3) {
			r.Desirable = append(r.Desirable, group("Engineering Council registration",
				[]*eventsv1.Condition{{Kind: eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION, Register: eventsv1.Registration_REGISTRATION_ENGTECH}}))
		}
	case eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE:
		v.Band = eventsv1.Band_BAND_6
		v.Contract = eventsv1.Contract_CONTRACT_TRAINING
		r.Essential = append(r.Essential, stpEntry)
		v.StartDate = time.Date(g.now.Year()+1, time.September, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	case eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST:
		v.Band = eventsv1.Band(5 + g.r.IntN(4))
		r.MinDegreeClass = eventsv1.DegreeClass_DEGREE_CLASS_UPPER_SECOND
		r.Msc = g.chance(0.6)
		if g.chance(0.8) {
			r.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_HCPC}
		}
		if g.chance(0.5) {
			r.MinYearsExperience = int32(2 + g.r.IntN(4))
		}
		if g.chance(0.5) {
			r.Desirable = append(r.Desirable, group("Membership of IPEM",
				[]*eventsv1.Condition{{Kind: eventsv1.ConditionKind_CONDITION_KIND_MEMBERSHIP, Membership: eventsv1.MembershipGrade_MEMBERSHIP_GRADE_MEMBER}}))
		}
		if s := v.Specialisms[0]; g.chance(0.3) {
			r.Desirable = append(r.Desirable, group("",
				[]*eventsv1.Condition{{Kind: eventsv1.ConditionKind_CONDITION_KIND_EXPERIENCE, Years: 1, Specialism: s}}))
		}
	default:
		v.Band = eventsv1.Band(4 + g.r.IntN(4))
		if g.chance(0.7) {
			r.MinDegreeClass = eventsv1.DegreeClass_DEGREE_CLASS_LOWER_SECOND
		}
		r.AccreditedDegree = g.chance(0.2)
		switch g.weighted(70, 15, 15) {
		case 1:
			r.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_CENG}
		case 2:
			r.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_IENG}
			if g.chance(0.5) {
				r.Desirable = append(r.Desirable, group("Chartered Engineer (CEng)",
					[]*eventsv1.Condition{{Kind: eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION, Register: eventsv1.Registration_REGISTRATION_CENG}}))
			}
		}
		if g.chance(0.5) {
			r.MinYearsExperience = int32(3 + g.r.IntN(5))
		}
	}
	v.SalaryMin, v.SalaryMax = 25000+int32(v.Band)*7000, 30000+int32(v.Band)*8000
	return v
}
