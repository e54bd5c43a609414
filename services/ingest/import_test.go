package ingest_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// feedServer serves NHS Jobs' XML search feed as its documentation
// describes it, from adverts the test changes: pages of two, ETags,
// 304s, a page declared ISO-8859-1, and failures on demand.
type feedServer struct {
	mu       sync.Mutex
	adverts  []string // each a vacancyDetails element
	latin1   map[int]bool
	failNext int  // answer 503 (Retry-After: 0) to this many requests
	down     bool // answer 500 to every request
	requests int
	notMod   int
}

func (fs *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.requests++
	if fs.down {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	if fs.failNext > 0 {
		fs.failNext--
		w.Header().Set("Retry-After", "0")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	page := 1
	fmt.Sscan(r.URL.Query().Get("page"), &page)
	const per = 2
	pages := max(1, (len(fs.adverts)+per-1)/per)
	var b strings.Builder
	enc := "UTF-8"
	if fs.latin1[page] {
		enc = "ISO-8859-1"
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="%s"?><nhsJobs><totalPages>%d</totalPages><totalResults>%d</totalResults>`, enc, pages, len(fs.adverts))
	for i := (page - 1) * per; i < min(len(fs.adverts), page*per); i++ {
		b.WriteString(fs.adverts[i])
	}
	b.WriteString("</nhsJobs>")
	body := b.String()
	if fs.latin1[page] {
		var out []byte
		// Declared ISO-8859-1 and written, as such pages are, in
		// Windows-1252: the en dash is 0x96, the pound sign 0xA3.
		for _, r := range body {
			switch {
			case r == '–':
				out = append(out, 0x96)
			case r < 0x100:
				out = append(out, byte(r))
			default:
				out = append(out, '?')
			}
		}
		body = string(out)
	}
	etag := fmt.Sprintf(`"%x"`, len(body)*31+strings.Count(body, "e")*7+strings.Count(body, "a"))
	if r.Header.Get("If-None-Match") == etag {
		fs.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprint(w, body)
}

func (fs *feedServer) set(adverts ...string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.adverts = adverts
}

func advert(id, ref, title, employer, salary, location, closing, description string) string {
	field := func(name, v string) string {
		if v == "" {
			return ""
		}
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(v))
		return "<" + name + ">" + b.String() + "</" + name + ">"
	}
	loc := ""
	if location != "" {
		loc = "<locations>" + field("location", location) + "</locations>"
	}
	return "<vacancyDetails>" + field("id", id) + field("reference", ref) + field("title", title) +
		field("description", description) + field("employer", employer) + field("type", "Permanent") +
		field("salary", salary) + field("closeDate", closing) + field("postDate", "2026-11-20") +
		field("url", "https://www.jobs.nhs.uk/candidate/jobadvert/"+id) + loc + "</vacancyDetails>"
}

func withFeed(url string) option {
	return func(c *ingest.Config, _ *ingest.Deps) {
		c.Import = ingest.ImportConfig{FeedURL: url, Queries: []string{"keyword=clinical engineering"}, Every: -1,
			RequestGap: time.Millisecond, Backoff: 5 * time.Millisecond, Tries: 3}
	}
}

func (f *fixture) importRun() ingest.ImportRun {
	f.t.Helper()
	var run ingest.ImportRun
	f.do("POST", "/v1/imports/run", opKey, nil, nil).want(f.t, 200).json(f.t, &run)
	return run
}

// imported returns the open vacancies imported, by their source's id.
func (f *fixture) imported() map[string]jobs.VacancyView {
	f.t.Helper()
	var list ingest.VacancyList
	f.do("GET", "/v1/vacancies?limit=100", "", nil, nil).want(f.t, 200).json(f.t, &list)
	out := map[string]jobs.VacancyView{}
	for _, v := range list.Vacancies {
		if v.Source != nil {
			out[v.Source.ID] = v
		}
	}
	return out
}

func counts(r ingest.ImportRun) string {
	return fmt.Sprintf("new %d updated %d closed %d unchanged %d irrelevant %d trust_own %d failed %d",
		r.New, r.Updated, r.Closed, r.Unchanged, r.Irrelevant, r.TrustOwn, r.Failed)
}

// TestImport: the importer against a feed in NHS Jobs' own format. Every
// relevant advert appears once with the right fields, nothing irrelevant
// appears, changes and disappearances follow, the trust's own posting
// wins, a claimed vacancy keeps the trust's fields, and a run that finds
// nothing new changes nothing.
func TestImport(t *testing.T) {
	t.Parallel()
	fs := &feedServer{latin1: map[int]bool{2: true}}
	feed := httptest.NewServer(fs)
	t.Cleanup(feed.Close)
	f := start(t, withFeed(feed.URL))
	key := f.trust("RJ1")
	// The trust posted one of its adverts here itself.
	own := vacancy(t, "245-CE-5")
	own["closing_date"] = "2026-12-20"
	delete(own, "start_date")
	f.do("POST", "/v1/vacancies", key, own, nil).want(t, 201)

	ebme := advert("C1-1", "245-CE-1", "EBME Technician", "Trust RJ1", "£31,049 to £37,796 a year",
		"St Thomas' Hospital, SE1 7EH", "2026-12-20",
		"Band 5 in the medical engineering department. Essential: Registered with the RCT. Desirable: IEng registration.")
	nurse := advert("C1-2", "N-1", "Staff Nurse", "Trust RJ1", "£31,049 a year", "St Thomas' Hospital, SE1 7EH", "2026-12-20", "Ward 3.")
	renal := advert("C2-1", "", "Renal Technologist – Leeds", "Leeds Teaching Hospitals", "£38,682 to £46,580 a year",
		"Leeds General Infirmary, LS1 3EX", "", "Haemodialysis machines. Working towards HCPC registration.")
	noPlace := advert("C2-2", "R-9", "Rehabilitation Engineer", "Somewhere", "£47,810 a year", "Somewhere", "2026-12-20", "Wheelchair service.")
	ownAdvert := advert("C3-1", "245-CE-5", "Clinical Technologist", "Trust RJ1", "£31,049 a year", "SE1 7EH", "2026-12-20", "Medical engineering.")
	fs.set(ebme, nurse, renal, noPlace, ownAdvert)
	fs.failNext = 1 // the server errors, then recovers

	run := f.importRun()
	if !run.Complete || run.Fetched != 5 || run.New != 2 || run.Irrelevant != 1 || run.TrustOwn != 1 || run.Failed != 1 || run.LastError == "" {
		t.Fatalf("first run: %s complete %v fetched %d: %+v", counts(run), run.Complete, run.Fetched, run)
	}
	got := f.imported()
	if len(got) != 2 {
		t.Fatalf("imported %v", got)
	}
	e := got["C1-1"]
	if e.Title != "EBME Technician" || e.Band != "5" || e.Salary.Min != 31049 || e.Salary.Max != 37796 || e.Trust.Code != "RJ1" ||
		e.RoleFamily != "clinical_technologist" || e.Site.Postcode != "SE1 7EH" || e.ClosingDate != "2026-12-20" || e.Contract != "permanent" ||
		e.Apply.URL != "https://www.jobs.nhs.uk/candidate/jobadvert/C1-1" || e.Source.URL != e.Apply.URL || e.Source.Name != "nhs_jobs" || e.Reference != "245-CE-1" {
		t.Errorf("EBME vacancy: %+v", e)
	}
	if r := e.Requirements; len(r.Essential) != 1 || !r.Essential[0].Inferred || r.Essential[0].AnyOf[0][0].Register != "rct" ||
		len(r.Desirable) != 1 || r.Desirable[0].AnyOf[0][0].Register != "ieng" {
		t.Errorf("EBME requirements: %+v", r)
	}
	rn := got["C2-1"]
	if rn.Title != "Renal Technologist – Leeds" || rn.Band != "6" || rn.Trust.Code != "" || rn.Trust.Name != "Leeds Teaching Hospitals" ||
		rn.Reference != "C2-1" || rn.ClosingDate != "2026-12-18" || rn.Requirements.Essential[0].AnyOf[0][0].State != "working_towards" {
		t.Errorf("renal vacancy (Latin-1 page, no reference, no closing date): %+v", rn)
	}

	// Nothing new: nothing changes, and unchanged pages come back 304.
	writes := f.streamWrites()
	if run := f.importRun(); run.New+run.Updated+run.Closed != 0 || run.Unchanged != 2 {
		t.Errorf("second run: %s", counts(run))
	}
	if w := f.streamWrites(); w != writes {
		t.Errorf("second run wrote %d times", w-writes)
	}
	if fs.notMod == 0 {
		t.Error("no conditional request answered 304")
	}

	// The trust claims the EBME vacancy and sets its title; the feed then
	// changes both title and salary: the trust's title stays, the salary
	// (which the trust left) follows the feed.
	var claimed jobs.VacancyView
	f.do("POST", "/v1/vacancies/"+e.ID+"/claim", key, nil, nil).want(t, 200).json(t, &claimed)
	if !claimed.Source.Claimed {
		t.Fatalf("claim: %+v", claimed.Source)
	}
	etag := f.do("GET", "/v1/vacancies/"+e.ID, "", nil, nil).Header.Get("ETag")
	edit := map[string]any{}
	data, _ := json.Marshal(claimed)
	_ = json.Unmarshal(data, &edit)
	in := vacancy(t, "245-CE-1")
	in["title"], in["closing_date"] = "EBME Technician (Band 5), St Thomas'", "2026-12-20"
	delete(in, "start_date")
	in["salary"] = map[string]any{"min": 31049, "max": 37796}
	f.do("PUT", "/v1/vacancies/"+e.ID, key, in, map[string]string{"If-Match": etag}).want(t, 200)
	fs.set(strings.Replace(strings.Replace(ebme, "EBME Technician", "EBME Technician II", 1), "£37,796", "£33,487", 1),
		nurse, noPlace, ownAdvert) // the renal advert is gone
	run = f.importRun()
	if run.Updated != 1 || run.Closed != 1 || run.New != 0 {
		t.Errorf("third run: %s", counts(run))
	}
	got = f.imported()
	if c := got["C1-1"]; c.Title != "EBME Technician (Band 5), St Thomas'" || c.Salary.Max != 33487 || !c.Source.Claimed {
		t.Errorf("claimed vacancy: title %q salary %+v source %+v", c.Title, c.Salary, c.Source)
	}
	if _, ok := got["C2-1"]; ok {
		t.Error("the renal vacancy gone from the feed is still open")
	}

	// An advert imported first and then posted by its trust: one vacancy,
	// the trust's.
	later := advert("C4-1", "245-CE-7", "Medical Engineering Technician", "Trust RJ1", "£31,049 a year", "SE1 7EH", "2026-12-20", "")
	fs.set(later)
	run = f.importRun()
	if run.New != 1 {
		t.Fatalf("fourth run: %s", counts(run))
	}
	imp := f.imported()["C4-1"]
	post := vacancy(t, "245-CE-7")
	post["closing_date"] = "2026-12-20"
	delete(post, "start_date")
	var posted jobs.VacancyView
	f.do("POST", "/v1/vacancies", key, post, nil).want(t, 201).json(t, &posted)
	if posted.ID != imp.ID || posted.Source != nil {
		t.Errorf("the trust's posting %s (source %+v), the import %s", posted.ID, posted.Source, imp.ID)
	}
	if run := f.importRun(); run.TrustOwn != 1 || run.New+run.Updated != 0 {
		t.Errorf("after the trust posted: %s", counts(run))
	}

	// A feed that is down: the run says so and closes nothing.
	fs.mu.Lock()
	fs.down = true
	fs.mu.Unlock()
	if run := f.importRun(); run.Complete || run.Closed != 0 || run.Failed == 0 || !strings.Contains(run.LastError, "500") {
		t.Errorf("run against a feed that is down: %+v", run)
	}
	var runs ingest.ImportRuns
	f.do("GET", "/v1/imports", opKey, nil, nil).want(t, 200).json(t, &runs)
	if len(runs.Runs) != 6 || runs.Runs[0].Complete {
		t.Errorf("runs recorded: %d, newest %+v", len(runs.Runs), runs.Runs[0])
	}
}

// TestFeedXML: the aggregators' feed lists the open vacancies posted here,
// each under its id.
func TestFeedXML(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	var v jobs.VacancyView
	f.do("POST", "/v1/vacancies", key, vacancy(t, "F-1"), nil).want(t, 201).json(t, &v)
	a := f.do("GET", "/v1/feed.xml", "", nil, nil).want(t, 200)
	var doc struct {
		Jobs []struct {
			Ref   string `xml:"referencenumber"`
			Title string `xml:"title"`
		} `xml:"job"`
	}
	if err := xml.Unmarshal(a.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Jobs) != 1 || doc.Jobs[0].Ref != v.ID || doc.Jobs[0].Title != v.Title {
		t.Errorf("feed %s", a.Body)
	}
}
