package nhsjobs

import (
	"regexp"
	"strings"
)

// Verdict is the classifier's judgement of one advert.
type Verdict struct {
	// Relevant: a clinical engineering, clinical technologist, EBME,
	// medical engineering, rehabilitation engineering, renal technology,
	// radiation engineering, STP or apprentice post of the field.
	Relevant bool
	// RoleFamily is the role family's name (stp_trainee,
	// clinical_scientist, clinical_technologist, apprentice), when relevant.
	RoleFamily string
	// Specialisms are the specialisms' names the advert speaks of.
	Specialisms []string
	// Why names the words that decided, for the run's record.
	Why string
}

// A term is a pattern of words, matched on word boundaries, case aside.
func term(words string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(?:` + words + `)\b`)
}

var (
	// field are the words that name the field itself, in a title or a
	// description.
	field = term(`clinical engineer(?:ing|s)?|clinical technolog(?:y|ist|ists)|medical engineer(?:ing|s)?|` +
		`e\.?b\.?m\.?e\.?|electro[- ]?bio[- ]?medical|biomedical engineer(?:ing|s)?|bio[- ]medical engineer(?:ing)?|` +
		`medical equipment|medical devices? (?:engineer|technician|management|technolog(?:y|ist))|equipment management|` +
		`rehabilitation engineer(?:ing|s)?|rehab engineer(?:ing|s)?|assistive technology|wheelchair (?:engineer|technician|services?)|` +
		`specialist seating|posture (?:and|&) mobility|renal technolog(?:y|ist|ists)|renal technician|dialysis technician|` +
		`renal (?:engineer|engineering)|haemodialysis technician|dialysis (?:engineer|engineering)|` +
		`radiation engineer(?:ing|s)?|radiotherapy (?:engineer|engineering|technologist|physics technician)|linac engineer|` +
		`mechanical and electronic engineering|healthcare science practitioner \(clinical engineering\)|` +
		`clinical scientist \(clinical engineering\)|medical physics technician|clinical physics technician|` +
		`vascular technolog(?:y|ist)|medical technical officer`)
	// stp: the Scientist Training Programme.
	stp = term(`scientist training programme|stp|healthcare science trainee|trainee clinical scientist`)
	// stpField are the STP specialisms of the field.
	stpField = term(`clinical engineering|medical engineering|rehabilitation engineering|device risk management|` +
		`radiation safety physics|radiotherapy physics|medical physics|clinical measurement and development`)
	apprentice = term(`apprentices?|apprenticeship`)
	// roleWord is a title word of the kind the field's posts carry.
	roleWord = term(`engineer|engineers|technician|technicians|technologist|technologists|scientist|trainee|apprentice|practitioner|manager|officer|assistant|lead|head|specialist`)
	// elsewhere are titles of other professions that share the field's
	// words (a renal nurse, a biomedical scientist in a laboratory, an
	// estates engineer): such a title is not the field's whatever its
	// description says.
	elsewhere = term(`nurse|nursing|midwife|midwifery|healthcare assistant|health care assistant|support worker|` +
		`biomedical scientist|laboratory|pathology|phlebotom\w*|doctor|consultant|registrar|physician|surgeon|` +
		`pharmac\w+|physiotherap\w+|occupational therap\w+|radiographer|sonographer|dietitian|psycholog\w+|` +
		`receptionist|administrator|admin|clerk|secretary|coordinator|co-ordinator|medical records|porter|domestic|` +
		`housekeep\w*|catering|chef|cook|cleaner|security|estates|electrician|plumber|carpenter|joiner|painter|` +
		`gas engineer|building services|facilities|hvac|software|data engineer|network engineer|devops|cyber|` +
		`digital|it engineer|ict|desktop|service desk|finance|accountant|payroll|hr|human resources|recruitment|` +
		`paramedic|ambulance|call handler|dental|optometrist|orthoptist|audiolog\w+|podiatr\w+|prosthetist|orthotist|` +
		`cardiac physiologist|respiratory physiologist|sleep physiologist|neurophysiolog\w+|theatre|anaesthetic|` +
		`operating department|endoscopy|decontamination|sterile services|mortuary|anatomical pathology`)
)

// Specialism patterns, by the specialism's name.
var specialismTerms = []struct {
	name string
	re   *regexp.Regexp
}{
	{"equipment_management", term(`e\.?b\.?m\.?e\.?|electro[- ]?bio[- ]?medical|medical equipment|equipment management|medical engineering|medical devices?`)},
	{"rehabilitation_engineering", term(`rehabilitation engineer(?:ing|s)?|rehab engineer(?:ing|s)?|assistive technology|wheelchairs?|specialist seating|posture (?:and|&) mobility`)},
	{"renal", term(`renal|dialysis|haemodialysis`)},
	{"radiotherapy", term(`radiotherapy|linac|radiation engineer(?:ing|s)?`)},
	{"medical_physics", term(`medical physics|radiation safety|clinical physics`)},
	{"surgical_robotics", term(`surgical robotics?|robotic surgery`)},
	{"device_design", term(`device design|design and development|medical device development`)},
	{"research_development", term(`research and development|r&d|research engineer`)},
}

// Classify judges an advert by its title and description. The title
// decides first: a title of another profession (nurse, biomedical
// scientist, estates...) is never relevant; a title naming the field is.
// An STP or apprentice title is relevant when it or the description names
// the field (an STP in clinical engineering, an apprentice in the medical
// engineering department). A title of the field's kind of post
// (technician, engineer...) without the field's words is relevant when the
// description names the field twice or more, once in its first 400
// characters: the field's own department advertising a generic title.
func Classify(title, description string) Verdict {
	t := strings.ToLower(title)
	desc := strings.ToLower(description)
	var v Verdict
	switch {
	case elsewhere.MatchString(t) && !field.MatchString(t):
		v.Why = "title of another profession: " + elsewhere.FindString(t)
		return v
	case stp.MatchString(t):
		if m := stpField.FindString(t + " " + desc); m != "" || field.MatchString(t) {
			v.Relevant, v.RoleFamily, v.Why = true, "stp_trainee", "STP in "+firstOf(m, field.FindString(t))
		} else {
			v.Why = "STP of another specialism"
			return v
		}
	case apprentice.MatchString(t):
		if m := field.FindString(t + " " + desc); m != "" {
			v.Relevant, v.RoleFamily, v.Why = true, "apprentice", "apprenticeship in "+m
		} else {
			v.Why = "apprenticeship of another field"
			return v
		}
	case field.MatchString(t):
		v.Relevant, v.Why = true, "title names the field: "+field.FindString(t)
	case roleWord.MatchString(t):
		all := field.FindAllString(desc, -1)
		head := desc[:min(len(desc), 400)]
		if len(all) >= 2 && field.MatchString(head) {
			v.Relevant, v.Why = true, "description names the field: "+all[0]
		} else {
			v.Why = "the field is not named"
			return v
		}
	default:
		v.Why = "the field is not named"
		return v
	}
	text := t + " " + desc
	for _, s := range specialismTerms {
		if s.re.MatchString(text) {
			v.Specialisms = append(v.Specialisms, s.name)
		}
	}
	if v.RoleFamily == "" {
		v.RoleFamily = roleFamily(t)
	}
	return v
}

var (
	scientistTitle = term(`clinical scientist|principal|consultant clinical|head of|clinical engineer|rehabilitation engineer|bioengineer|lead engineer`)
	technologist   = term(`technologist|technician|practitioner|assistant|officer|support`)
)

// roleFamily reads the role family of a relevant title other than an STP
// or apprentice post: clinical scientists and qualified clinical engineers
// apart, the field's posts are clinical technologists'.
func roleFamily(title string) string {
	if scientistTitle.MatchString(title) && !technologist.MatchString(title) {
		return "clinical_scientist"
	}
	return "clinical_technologist"
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
