package nhsjobs_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/nhsjobs"
)

// titles are adverts as NHS Jobs carries them: the field's own (want
// true) and those of the professions around it that share its words.
var titles = []struct {
	title, description string
	want               bool
	family             string
}{
	{"Clinical Engineer", "Join the Clinical Engineering department maintaining medical equipment.", true, "clinical_scientist"},
	{"Clinical Technologist - Medical Engineering", "", true, "clinical_technologist"},
	{"EBME Technician", "Electro-biomedical engineering service for the trust.", true, "clinical_technologist"},
	{"Senior EBME Engineer", "", true, "clinical_technologist"},
	{"Medical Engineering Technician Band 5", "", true, "clinical_technologist"},
	{"Medical Equipment Technician", "", true, "clinical_technologist"},
	{"Clinical Scientist (Clinical Engineering)", "", true, "clinical_scientist"},
	{"Principal Clinical Scientist - Rehabilitation Engineering", "", true, "clinical_scientist"},
	{"Rehabilitation Engineer", "Wheelchair and specialist seating service.", true, "clinical_scientist"},
	{"Rehabilitation Engineering Technician", "", true, "clinical_technologist"},
	{"Wheelchair Services Technician", "Assistive technology and posture and mobility.", true, "clinical_technologist"},
	{"Renal Technologist", "Haemodialysis machines across satellite units.", true, "clinical_technologist"},
	{"Renal Technician", "", true, "clinical_technologist"},
	{"Dialysis Technician", "", true, "clinical_technologist"},
	{"Senior Renal Technologist", "", true, "clinical_technologist"},
	{"Radiotherapy Engineer", "Maintaining linear accelerators.", true, "clinical_technologist"},
	{"Radiation Engineering Technologist", "", true, "clinical_technologist"},
	{"Linac Engineer", "", true, "clinical_technologist"},
	{"Trainee Clinical Scientist (STP) - Clinical Engineering", "", true, "stp_trainee"},
	{"Scientist Training Programme - Medical Engineering", "", true, "stp_trainee"},
	{"STP Trainee", "Three years in clinical engineering with an MSc.", true, "stp_trainee"},
	{"Clinical Engineering Apprentice", "", true, "apprentice"},
	{"Apprentice Medical Engineering Technician", "", true, "apprentice"},
	{"Engineering Apprentice", "Based in the EBME department, rotating through medical equipment workshops.", true, "apprentice"},
	{"Healthcare Science Apprentice", "Level 4 apprenticeship in clinical engineering.", true, "apprentice"},
	{"Technician", "The Medical Engineering department maintains medical equipment. Medical engineering is a busy team.", true, "clinical_technologist"},
	{"Senior Technician", "Clinical engineering: equipment management of 20,000 devices. Join clinical engineering.", true, "clinical_technologist"},
	{"Biomedical Engineer", "", true, "clinical_technologist"},
	{"Head of Clinical Engineering", "", true, "clinical_scientist"},
	{"Medical Devices Technician", "", true, "clinical_technologist"},
	{"Clinical Technologist (Renal)", "", true, "clinical_technologist"},
	{"Medical Physics Technician", "", true, "clinical_technologist"},
	{"Assistive Technology Engineer", "", true, "clinical_technologist"},
	{"Equipment Management Officer", "", true, "clinical_technologist"},
	// Other professions, and engineers of other things.
	{"Staff Nurse - Renal Unit", "Dialysis ward.", false, ""},
	{"Renal Dialysis Nurse", "", false, ""},
	{"Healthcare Assistant", "", false, ""},
	{"Biomedical Scientist", "Blood sciences laboratory.", false, ""},
	{"Trainee Biomedical Scientist", "", false, ""},
	{"Estates Engineer", "Building services maintenance.", false, ""},
	{"Electrician", "", false, ""},
	{"Software Engineer", "", false, ""},
	{"Data Engineer", "", false, ""},
	{"Network Engineer", "", false, ""},
	{"Medical Secretary", "", false, ""},
	{"Receptionist", "", false, ""},
	{"Band 3 Administrator", "", false, ""},
	{"Consultant Radiologist", "", false, ""},
	{"Therapeutic Radiographer", "Radiotherapy department.", false, ""},
	{"Physiotherapist", "", false, ""},
	{"Occupational Therapist - Wheelchair Service", "", false, ""},
	{"Pharmacy Technician", "", false, ""},
	{"Theatre Support Worker", "", false, ""},
	{"Maintenance Technician", "Estates department: plumbing, joinery and HVAC.", false, ""},
	{"STP Trainee - Microbiology", "Infection sciences.", false, ""},
	{"Scientist Training Programme - Genomics", "", false, ""},
	{"Apprentice Plumber", "", false, ""},
	{"Business Administration Apprentice", "", false, ""},
	{"Healthcare Science Apprentice", "Level 4 apprenticeship in cardiac physiology.", false, ""},
	{"Cardiac Physiologist", "", false, ""},
	{"Audiologist", "", false, ""},
	{"Porter", "", false, ""},
	{"Domestic Assistant", "", false, ""},
	{"IT Service Desk Analyst", "", false, ""},
	{"Sterile Services Technician", "Decontamination of surgical instruments.", false, ""},
	{"Technician", "Pathology laboratory technician.", false, ""},
	{"Prosthetist", "", false, ""},
	{"Staff Nurse", "", false, ""},
	{"Ward Clerk", "", false, ""},
	{"Engineer", "Hospital estates building engineer.", false, ""},
	// Hard ones, judged as a recruiter of the field would.
	{"Vascular Technologist", "", true, "clinical_technologist"},
	{"Senior Technologist", "Work in our laboratory.", false, ""},
}

// TestClassify: the classifier picks the field's adverts and leaves the
// rest, reaching the precision and recall the importer relies on.
func TestClassify(t *testing.T) {
	t.Parallel()
	if len(titles) < 60 {
		t.Fatalf("only %d titles", len(titles))
	}
	var tp, fp, fn, tn int
	for _, c := range titles {
		v := nhsjobs.Classify(c.title, c.description)
		switch {
		case v.Relevant && c.want:
			tp++
			if v.RoleFamily != c.family {
				t.Errorf("%q: role family %s, want %s", c.title, v.RoleFamily, c.family)
			}
		case v.Relevant:
			fp++
			t.Logf("false positive: %q (%s)", c.title, v.Why)
		case c.want:
			fn++
			t.Logf("false negative: %q (%s)", c.title, v.Why)
		default:
			tn++
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("%d titles: %d true positives, %d false positives, %d false negatives, %d true negatives", len(titles), tp, fp, fn, tn)
	t.Logf("precision %.3f, recall %.3f", precision, recall)
	if precision < 0.95 || recall < 0.95 {
		t.Errorf("precision %.3f and recall %.3f: both must be at least 0.95", precision, recall)
	}
}

func TestClassifySpecialisms(t *testing.T) {
	t.Parallel()
	v := nhsjobs.Classify("Renal Technologist", "Haemodialysis machines and water plant.")
	if len(v.Specialisms) != 1 || v.Specialisms[0] != "renal" {
		t.Errorf("specialisms %v, want [renal]", v.Specialisms)
	}
}
