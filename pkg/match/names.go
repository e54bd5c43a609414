package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// The words reasons are written in: the JSON name of an enum value (jobs.Name),
// made into the words NHS candidates use.

// words returns the JSON name of v with underscores as spaces, or "unspecified".
func words[E jobs.Enum](v E) string {
	n := jobs.Name(v)
	if n == "" {
		return "unspecified"
	}
	return strings.ReplaceAll(n, "_", " ")
}

// bandName is "band 8a".
func bandName(b eventsv1.Band) string {
	if b == eventsv1.Band_BAND_UNSPECIFIED {
		return "no band"
	}
	return "band " + jobs.Name(b)
}

// className is "first", "2:1", "2:2" or "third".
func className(c eventsv1.DegreeClass) string {
	if c == eventsv1.DegreeClass_DEGREE_CLASS_UNSPECIFIED {
		return "unclassified degree"
	}
	return jobs.Name(c)
}

// classWithArticle is "a first", "a 2:1".
func classWithArticle(c eventsv1.DegreeClass) string {
	if c == eventsv1.DegreeClass_DEGREE_CLASS_UNSPECIFIED {
		return "an unclassified degree"
	}
	return "a " + className(c)
}

// degreeSubjectName is "biomedical engineering".
func degreeSubjectName(s eventsv1.DegreeSubject) string {
	switch s {
	case eventsv1.DegreeSubject_DEGREE_SUBJECT_OTHER_ENGINEERING:
		return "another engineering subject"
	case eventsv1.DegreeSubject_DEGREE_SUBJECT_OTHER_SCIENCE:
		return "another science"
	case eventsv1.DegreeSubject_DEGREE_SUBJECT_OTHER:
		return "another subject"
	}
	return words(s)
}

// degreeSubjectList is "medical, biomedical or mechanical engineering": the
// subjects as an or-list, sharing "engineering" when every one ends in it.
func degreeSubjectList(subjects []eventsv1.DegreeSubject) string {
	names := make([]string, 0, len(subjects))
	for _, s := range dedupe(subjects) {
		names = append(names, degreeSubjectName(s))
	}
	const eng = " engineering"
	shared := len(names) > 1
	for _, n := range names {
		shared = shared && strings.HasSuffix(n, eng)
	}
	if !shared {
		return orList(names)
	}
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, eng)
	}
	return orList(names) + eng
}

// aLevelName is "maths", "physics".
func aLevelName(s eventsv1.ALevelSubject) string {
	switch s {
	case eventsv1.ALevelSubject_A_LEVEL_SUBJECT_MATHEMATICS:
		return "maths"
	case eventsv1.ALevelSubject_A_LEVEL_SUBJECT_FURTHER_MATHEMATICS:
		return "further maths"
	case eventsv1.ALevelSubject_A_LEVEL_SUBJECT_DESIGN_TECHNOLOGY:
		return "design and technology"
	case eventsv1.ALevelSubject_A_LEVEL_SUBJECT_OTHER:
		return "another subject"
	}
	return words(s)
}

// registrationName is "HCPC", "Register of Clinical Technologists", "IPEM",
// "CEng" or "IEng".
func registrationName(r eventsv1.Registration) string {
	switch r {
	case eventsv1.Registration_REGISTRATION_HCPC:
		return "HCPC"
	case eventsv1.Registration_REGISTRATION_RCT:
		return "Register of Clinical Technologists"
	case eventsv1.Registration_REGISTRATION_IPEM:
		return "IPEM"
	case eventsv1.Registration_REGISTRATION_CENG:
		return "CEng"
	case eventsv1.Registration_REGISTRATION_IENG:
		return "IEng"
	case eventsv1.Registration_REGISTRATION_ENGTECH:
		return "EngTech"
	case eventsv1.Registration_REGISTRATION_AHCS:
		return "Academy for Healthcare Science"
	}
	return words(r)
}

// registrations names rs as a phrase for needing them ("HCPC and IPEM
// registration") and for holding them ("HCPC and IPEM registration held").
// The Register of Clinical Technologists is a register, not a kind of
// registration, so a list naming it reads "registration with HCPC and the
// Register of Clinical Technologists".
func registrations(rs []eventsv1.Registration) (needed, held string) {
	names := make([]string, 0, len(rs))
	register := false
	for _, r := range rs {
		n := registrationName(r)
		if r == eventsv1.Registration_REGISTRATION_RCT {
			n, register = "the "+n, true
		}
		names = append(names, n)
	}
	list := andList(names)
	if register {
		return "registration with " + list, "registered with " + list
	}
	return list + " registration", list + " registration held"
}

// specialismName is "renal", "rehabilitation engineering".
func specialismName(s eventsv1.Specialism) string {
	switch s {
	case eventsv1.Specialism_SPECIALISM_EQUIPMENT_MANAGEMENT:
		return "medical equipment management (EBME)"
	case eventsv1.Specialism_SPECIALISM_IMPLANTS:
		return "joint replacements and implants"
	case eventsv1.Specialism_SPECIALISM_DEVICE_DESIGN:
		return "device design and development"
	case eventsv1.Specialism_SPECIALISM_RESEARCH_DEVELOPMENT:
		return "research and development"
	}
	return words(s)
}

// roleName is "STP trainee", "clinical technologist".
func roleName(r eventsv1.RoleFamily) string {
	if r == eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE {
		return "STP trainee"
	}
	return words(r)
}

// contractName is "permanent", "fixed-term".
func contractName(c eventsv1.Contract) string {
	return strings.ReplaceAll(words(c), " ", "-")
}

// patternName is "full-time", "part-time", "job share", "on call".
func patternName(h eventsv1.WorkingPattern) string {
	switch h {
	case eventsv1.WorkingPattern_WORKING_PATTERN_FULL_TIME, eventsv1.WorkingPattern_WORKING_PATTERN_PART_TIME:
		return strings.ReplaceAll(words(h), " ", "-")
	}
	return words(h)
}

// settingName is "acute hospital".
func settingName(s eventsv1.Setting) string { return words(s) }

// kmText writes a distance in tenths of a km: "14 km", "14.3 km".
func kmText(tenths int64) string {
	if tenths%10 == 0 {
		return fmt.Sprintf("%d km", tenths/10)
	}
	return fmt.Sprintf("%d.%d km", tenths/10, tenths%10)
}

// yearsText is "1 year's", "3 years'", for "… experience".
func yearsText(n int32) string {
	if n == 1 {
		return "1 year's"
	}
	return fmt.Sprintf("%d years'", n)
}

// aLevelsText is "1 A level", "3 A levels".
func aLevelsText(n int) string {
	if n == 1 {
		return "1 A level"
	}
	return fmt.Sprintf("%d A levels", n)
}

// andList is "a", "a and b", "a, b and c".
func andList(items []string) string { return joinList(items, "and") }

// orList is "a", "a or b", "a, b or c".
func orList(items []string) string { return joinList(items, "or") }

func joinList(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

// names applies name to each of vs.
func names[E any](vs []E, name func(E) string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, name(v))
	}
	return out
}

// dedupe returns vs without repeats, first occurrence kept, in order.
func dedupe[E comparable](vs []E) []E {
	out := make([]E, 0, len(vs))
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
