package nhsjobs

import (
	"regexp"
	"strconv"
	"strings"
)

// Requirement is one requirement read from an advert's person
// specification. Its fields name a condition of the job board's
// requirements (kind: registration, degree, award, apprenticeship,
// membership) in the board's words; Phrase is the advert's own words.
type Requirement struct {
	// Essential: the words stood under an "Essential" heading, or under
	// none; false under "Desirable".
	Essential bool
	Kind      string
	Register  string // registration: hcpc, ahcs, rct, engtech, ieng, ceng
	State     string // registration: registered, eligible, working_towards
	MinClass  string // degree: first, 2:1, 2:2, third
	Award     string // award: hnc, hnd, foundation_degree, msc
	Level     int32  // apprenticeship: its level
	// Membership is the IPEM grade (membership).
	Membership string
	Phrase     string
}

// What is read, and how. Anything else in a person specification
// (experience, skills, personal qualities, subjects of degrees) is left
// for the candidate to read at the source.
var (
	heading = regexp.MustCompile(`(?i)\b(essential|desirable)\b(?:\s+(?:criteria|requirements|qualifications))?\s*[:\-–]`)
	// sentence splits text into the pieces one requirement is read from.
	sentence = regexp.MustCompile(`[.;\n•]+`)

	working  = regexp.MustCompile(`(?i)working towards|work towards|in training for|trainee`)
	eligible = regexp.MustCompile(`(?i)eligible for|eligibility for`)

	registers = []struct {
		name string
		re   *regexp.Regexp
	}{
		{"hcpc", regexp.MustCompile(`(?i)\bHCPC\b|health and care professions council`)},
		{"ahcs", regexp.MustCompile(`(?i)\bAHCS\b|academy for healthcare science`)},
		{"rct", regexp.MustCompile(`(?i)\bRCT\b|register of clinical technologists`)},
		{"ceng", regexp.MustCompile(`(?i)\bC\.?Eng\b|chartered engineer`)},
		{"ieng", regexp.MustCompile(`(?i)\bI\.?Eng\b|incorporated engineer`)},
		{"engtech", regexp.MustCompile(`(?i)\bEng\.?Tech\b|engineering technician \(engtech\)`)},
	}
	registered = regexp.MustCompile(`(?i)regist(?:ered|ration|er)|chartered|incorporated|eng\.?tech`)

	degreeClass = regexp.MustCompile(`(?i)\b(1st|first|2[:.]1|upper second|2[:.]2|lower second|third)\b[^.]{0,40}\b(?:honours|hons|degree|BSc|BEng|MEng)`)
	awards      = []struct {
		name string
		re   *regexp.Regexp
	}{
		{"hnc", regexp.MustCompile(`(?i)\bHNC\b|higher national certificate`)},
		{"hnd", regexp.MustCompile(`(?i)\bHND\b|higher national diploma`)},
		{"foundation_degree", regexp.MustCompile(`(?i)foundation degree`)},
		{"msc", regexp.MustCompile(`(?i)\bMSc\b|master'?s degree`)},
	}
	apprenticeLevel = regexp.MustCompile(`(?i)level\s*([2-7])\s+(?:\w+\s+){0,3}apprenticeship|apprenticeship\s+(?:\w+\s+){0,3}(?:at\s+)?level\s*([2-7])`)
	ipem            = regexp.MustCompile(`(?i)\b(?:IPEM|institute of physics and engineering in medicine)\b[^.]{0,30}\b(fellow|member|associate|student)|\b(fellow|member|associate|student)\w*\s+of\s+(?:the\s+)?(?:IPEM|institute of physics and engineering in medicine)`)
)

// Infer reads the requirements a person specification states: registers
// (HCPC, AHCS, the RCT, EngTech, IEng, CEng) and the state asked
// (registered, eligible, working towards), the class of an honours
// degree, HNC, HND, foundation degree and MSc, an apprenticeship's level,
// and IPEM membership; each marked essential or desirable by the heading
// it stands under ("Essential:", "Desirable criteria -"), essential when
// there is none. The same requirement read twice is kept once, the
// essential reading first.
func Infer(text string) []Requirement {
	var out []Requirement
	seen := map[string]bool{}
	add := func(r Requirement) {
		key := r.Kind + "|" + r.Register + "|" + r.MinClass + "|" + r.Award + "|" + strconv.Itoa(int(r.Level)) + "|" + r.Membership
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, r)
	}
	essential := true
	// Cut the text at each heading; each part is read under the last
	// heading before it.
	cuts := heading.FindAllStringSubmatchIndex(text, -1)
	parts := []struct {
		text      string
		essential bool
	}{}
	start := 0
	for _, c := range cuts {
		parts = append(parts, struct {
			text      string
			essential bool
		}{text[start:c[0]], essential})
		essential = strings.EqualFold(text[c[2]:c[3]], "essential")
		start = c[1]
	}
	parts = append(parts, struct {
		text      string
		essential bool
	}{text[start:], essential})
	var desirable []Requirement
	for _, p := range parts {
		for _, s := range sentence.Split(p.text, -1) {
			for _, r := range readSentence(s) {
				r.Essential = p.essential
				if r.Essential {
					add(r)
				} else {
					desirable = append(desirable, r)
				}
			}
		}
	}
	for _, r := range desirable {
		add(r)
	}
	return out
}

func readSentence(s string) []Requirement {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	phrase := s
	if len(phrase) > 200 {
		phrase = phrase[:200]
	}
	var out []Requirement
	if registered.MatchString(s) || working.MatchString(s) || eligible.MatchString(s) {
		state := "registered"
		switch {
		case working.MatchString(s):
			state = "working_towards"
		case eligible.MatchString(s):
			state = "eligible"
		}
		for _, reg := range registers {
			if reg.re.MatchString(s) {
				out = append(out, Requirement{Kind: "registration", Register: reg.name, State: state, Phrase: phrase})
			}
		}
	}
	if m := degreeClass.FindStringSubmatch(s); m != nil {
		class := map[string]string{"1st": "first", "first": "first", "2:1": "2:1", "2.1": "2:1", "upper second": "2:1",
			"2:2": "2:2", "2.2": "2:2", "lower second": "2:2", "third": "third"}[strings.ToLower(m[1])]
		if class != "" {
			out = append(out, Requirement{Kind: "degree", MinClass: class, Phrase: phrase})
		}
	}
	for _, a := range awards {
		if a.re.MatchString(s) {
			out = append(out, Requirement{Kind: "award", Award: a.name, Phrase: phrase})
			break // "HNC or HND": the lowest named stands for the sentence
		}
	}
	if m := apprenticeLevel.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1] + m[2])
		out = append(out, Requirement{Kind: "apprenticeship", Level: int32(n), Phrase: phrase})
	}
	if m := ipem.FindStringSubmatch(s); m != nil {
		grade := strings.ToLower(m[1] + m[2])
		out = append(out, Requirement{Kind: "membership", Membership: grade, Phrase: phrase})
	}
	return out
}
