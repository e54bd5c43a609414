package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/nhsjobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// SourceNHSJobs names NHS Jobs as the source of imported vacancies.
const SourceNHSJobs = "nhs_jobs"

// ImportConfig configures the importer of NHS Jobs' search feed. The
// importer runs only where FeedURL is set.
type ImportConfig struct {
	// FeedURL is the feed's address, such as
	// https://www.jobs.nhs.uk/api/v1/search_xml. Default: unset (no import).
	FeedURL string
	// Queries are the searches made each run, each a URL query
	// (keyword=EBME&staffGroup=HEALTHCARE_SCIENTISTS); page is added.
	// Default: DefaultImportQueries.
	Queries []string
	// Every is how often a run starts; negative: only when asked (POST
	// /v1/imports/run). Default: 1h.
	Every time.Duration
	// RequestGap is the least time between two requests to the feed.
	// Default: 2s.
	RequestGap time.Duration
	// Backoff is the first wait after a failed request, doubling with each
	// retry (a Retry-After given by the feed is waited instead). Default: 5s.
	Backoff time.Duration
	// Tries is how many times a page is asked for before the run gives up
	// on it. Default: 4.
	Tries int
	// MaxPages bounds the pages read of one query. Default: 50.
	MaxPages int
}

// DefaultImportQueries are the searches that find the field's adverts on
// NHS Jobs: the classifier then leaves what is not the field's.
var DefaultImportQueries = []string{
	"keyword=clinical engineering", "keyword=clinical technologist", "keyword=EBME",
	"keyword=medical engineering", "keyword=rehabilitation engineering", "keyword=renal technologist",
	"keyword=radiotherapy engineer", "keyword=scientist training programme clinical engineering",
	"keyword=apprentice engineering&staffGroup=HEALTHCARE_SCIENTISTS",
}

func (c *ImportConfig) setDefaults() {
	if len(c.Queries) == 0 {
		c.Queries = DefaultImportQueries
	}
	if c.Every == 0 {
		c.Every = time.Hour
	}
	if c.RequestGap == 0 {
		c.RequestGap = 2 * time.Second
	}
	if c.Backoff == 0 {
		c.Backoff = 5 * time.Second
	}
	if c.Tries == 0 {
		c.Tries = 4
	}
	if c.MaxPages == 0 {
		c.MaxPages = 50
	}
}

func (c ImportConfig) validate() error {
	if c.FeedURL == "" {
		return nil
	}
	u, err := url.Parse(c.FeedURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("IMPORT_FEED_URL %q is not an http(s) address", c.FeedURL)
	}
	for _, q := range c.Queries {
		if _, err := url.ParseQuery(q); err != nil {
			return fmt.Errorf("IMPORT_QUERIES: %q is not a URL query: %w", q, err)
		}
	}
	if c.Every < time.Minute && c.Every > 0 && c.RequestGap < 100*time.Millisecond {
		return errors.New("IMPORT_INTERVAL under a minute needs IMPORT_REQUEST_GAP of 100ms or more")
	}
	return nil
}

// ImportRun is the record of one run of the importer.
type ImportRun struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Complete: every page of every query was read, so adverts gone from
	// the feed were closed.
	Complete bool `json:"complete"`
	// Fetched counts the distinct adverts read; Requests the pages asked for.
	Fetched  int `json:"fetched"`
	Requests int `json:"requests"`
	New      int `json:"new"`
	Updated  int `json:"updated"`
	Closed   int `json:"closed"`
	// Unchanged counts relevant adverts as they were.
	Unchanged int `json:"unchanged"`
	// Irrelevant counts adverts the classifier left.
	Irrelevant int `json:"skipped_irrelevant"`
	// TrustOwn counts adverts the trust posted here itself (its own wins).
	TrustOwn int `json:"skipped_trust_own"`
	// Failed counts relevant adverts that could not be made vacancies
	// (no place, no band...) and pages that could not be read.
	Failed    int    `json:"failed"`
	LastError string `json:"last_error,omitempty"`
}

// ImportRuns are the latest runs, newest first.
type ImportRuns struct {
	Enabled bool        `json:"enabled"`
	FeedURL string      `json:"feed_url,omitempty"`
	Runs    []ImportRun `json:"runs"`
}

// importer reads the feed on a schedule and keeps the imported vacancies.
type importer struct {
	s    *Service
	cfg  ImportConfig
	feed *feedClient

	mu   sync.Mutex
	runs []ImportRun
	// running serialises runs (the schedule's and those asked for).
	running sync.Mutex
	// lastWrite is the stream sequence of the run's latest write: the
	// run ends once the projection has it, so that the next run (and a
	// list read after the run) sees what this one wrote.
	lastWrite uint64
}

const keptRuns = 20

func newImporter(s *Service, cfg ImportConfig, client *http.Client) *importer {
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	return &importer{s: s, cfg: cfg, feed: &feedClient{
		http: client, base: cfg.FeedURL, gap: cfg.RequestGap, backoff: cfg.Backoff, tries: cfg.Tries,
		userAgent: "clinjobs-importer/1 (+clinical engineering jobs)", cache: map[string]cachedPage{},
	}}
}

func (im *importer) schedule(ctx context.Context) {
	if im.cfg.Every < 0 {
		return
	}
	tick := time.NewTicker(im.cfg.Every)
	defer tick.Stop()
	for {
		if err := im.s.projection.Check(ctx); err == nil {
			im.Run(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Runs returns the latest runs' records, newest first.
func (im *importer) Runs() ImportRuns {
	out := ImportRuns{Enabled: true, FeedURL: im.cfg.FeedURL, Runs: []ImportRun{}}
	im.mu.Lock()
	defer im.mu.Unlock()
	for i := len(im.runs) - 1; i >= 0; i-- {
		out.Runs = append(out.Runs, im.runs[i])
	}
	return out
}

// Run reads every query's pages, imports the relevant adverts, and,
// having read everything, closes the imported vacancies gone from the feed.
func (im *importer) Run(ctx context.Context) ImportRun {
	im.running.Lock()
	defer im.running.Unlock()
	s := im.s
	run := ImportRun{StartedAt: s.now().UTC(), Complete: true}
	fail := func(err error) {
		run.Failed++
		run.LastError = err.Error()
	}
	adverts := map[string]nhsjobs.Advert{}
	var order []string
	for _, q := range im.cfg.Queries {
		query, _ := url.ParseQuery(q)
		for n := 1; n <= im.cfg.MaxPages; n++ {
			run.Requests++
			p, err := im.feed.page(ctx, query, n)
			if err != nil {
				run.Complete = false
				fail(err)
				break
			}
			for _, a := range p.Adverts {
				if _, ok := adverts[a.ID]; !ok {
					order = append(order, a.ID)
				}
				adverts[a.ID] = a
			}
			if n >= p.TotalPages || len(p.Adverts) == 0 {
				break
			}
		}
	}
	run.Fetched = len(order)
	trusts, err := s.allTrusts(ctx)
	if err != nil {
		run.Complete = false
		fail(err)
	}
	seen := map[string]bool{}
	for _, id := range order {
		a := adverts[id]
		verdict := nhsjobs.Classify(a.Title, a.Description)
		if !verdict.Relevant {
			run.Irrelevant++
			continue
		}
		seen[a.ID] = true
		if err := im.importAdvert(ctx, a, verdict, trusts, &run); err != nil {
			fail(fmt.Errorf("advert %s: %w", a.ID, err))
		}
	}
	if run.Complete {
		im.closeGone(ctx, seen, &run)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	s.projection.WaitFor(wctx, im.lastWrite)
	cancel()
	run.FinishedAt = s.now().UTC()
	im.mu.Lock()
	im.runs = append(im.runs, run)
	if len(im.runs) > keptRuns {
		im.runs = im.runs[len(im.runs)-keptRuns:]
	}
	im.mu.Unlock()
	s.log.InfoContext(ctx, "import run", "complete", run.Complete, "fetched", run.Fetched, "new", run.New, "updated", run.Updated,
		"closed", run.Closed, "irrelevant", run.Irrelevant, "failed", run.Failed)
	return run
}

// importedID finds the vacancy an advert was imported as.
func (im *importer) importedID(sourceID string) (string, bool) {
	for _, e := range im.s.projection.All() {
		if src := e.Vacancy.GetSource(); src.GetName() == SourceNHSJobs && src.GetId() == sourceID {
			return e.Vacancy.GetId(), true
		}
	}
	return "", false
}

// normName folds an employer's or trust's name for comparison.
func normName(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "&", " and "))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }), " ")
}

func trustNamed(trusts TrustList, employer string) (TrustView, bool) {
	n := normName(employer)
	for _, t := range trusts.Trusts {
		if n != "" && normName(t.Name) == n {
			return t, true
		}
	}
	return TrustView{}, false
}

var notRefChar = regexp.MustCompile(`[^A-Za-z0-9._/-]+`)

// sourceReference makes the advert's reference one of ours: the
// employer's reference, or the advert's id, in the characters a reference
// may hold.
func sourceReference(a nhsjobs.Advert) string {
	ref := strings.Trim(notRefChar.ReplaceAllString(a.Reference, "-"), "-./_")
	if ref == "" {
		ref = strings.Trim(notRefChar.ReplaceAllString(a.ID, "-"), "-./_")
	}
	if len(ref) > 64 {
		ref = ref[:64]
	}
	return ref
}

// importAdvert creates or updates the vacancy of one relevant advert.
// The identity is the source and its id; a vacancy the advert's trust
// posted here with the same reference is the same vacancy, and the
// trust's own wins: it is left as it is.
func (im *importer) importAdvert(ctx context.Context, a nhsjobs.Advert, verdict nhsjobs.Verdict, trusts TrustList, run *ImportRun) error {
	s := im.s
	now := s.now()
	ref := sourceReference(a)
	trust, known := trustNamed(trusts, a.Employer)
	id, found := im.importedID(a.ID)
	if !found {
		if known {
			id = vacancyID(trust.Code, ref)
		} else {
			id = ids.Derived("v", SourceNHSJobs, a.ID)
		}
	}
	var existing eventsv1.VacancyChanged
	rev, err := s.vacancies.Get(ctx, id, &existing)
	if err != nil && !errors.Is(err, bus.ErrNotFound) {
		return err
	}
	exists := err == nil
	if exists && existing.GetVacancy().GetSource() == nil {
		run.TrustOwn++
		return nil
	}
	if !a.Closing.IsZero() && a.Closing.Before(jobs.Today(now).UTC().Add(-24*time.Hour)) {
		// Closed at the source: the closing schedule closes ours.
		run.Unchanged++
		return nil
	}
	in := mapAdvert(a, verdict, now)
	v, err := in.Check(ctx, now, s.gazetteer)
	if err != nil {
		return err
	}
	v.Id = id
	v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_OPEN
	v.Source = &eventsv1.VacancySource{Name: SourceNHSJobs, Id: a.ID, Url: a.URL, Employer: a.Employer, SeenAtUnixMs: now.UnixMilli()}
	v.Trust = &eventsv1.TrustRef{Name: a.Employer}
	if known {
		v.Trust = &eventsv1.TrustRef{Code: trust.Code, Name: trust.Name}
	}
	v.CreatedAtUnixMs, v.UpdatedAtUnixMs = now.UnixMilli(), now.UnixMilli()
	if !a.Posted.IsZero() {
		v.PostedDate = a.Posted.Format(jobs.DateLayout)
	}
	if !exists {
		seq, err := s.vacancies.Create(ctx, id, postMsgID(id), &eventsv1.VacancyChanged{
			Change: eventsv1.VacancyChange_VACANCY_CHANGE_POSTED, Vacancy: v, OccurredAtUnixMs: now.UnixMilli(), Actor: "importer",
		})
		if err != nil {
			return err
		}
		im.lastWrite = max(im.lastWrite, seq)
		run.New++
		return nil
	}
	prev := existing.GetVacancy()
	if prev.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN && v.GetClosingDate() <= prev.GetClosingDate() {
		// Closed here (gone from the feed a while, or closed by the trust
		// that claimed it) and not advertised again with a later date.
		run.Unchanged++
		return nil
	}
	v.Trust, v.CreatedAtUnixMs = prev.GetTrust(), prev.GetCreatedAtUnixMs()
	v.Source.Claimed, v.Source.TrustFields = prev.GetSource().GetClaimed(), prev.GetSource().GetTrustFields()
	if prev.GetPostedDate() != "" {
		v.PostedDate = prev.GetPostedDate()
	}
	keepTrustFields(v, prev)
	if sameImport(v, prev) {
		run.Unchanged++
		return nil
	}
	change := eventsv1.VacancyChange_VACANCY_CHANGE_UPDATED
	seq, err := s.vacancies.Update(ctx, id, rev, &eventsv1.VacancyChanged{
		Change: change, Vacancy: v, OccurredAtUnixMs: now.UnixMilli(), Actor: "importer",
	})
	if err != nil {
		return err
	}
	im.lastWrite = max(im.lastWrite, seq)
	run.Updated++
	return nil
}

// sameImport reports whether next says what prev says, times of writing
// and sighting aside.
func sameImport(next, prev *eventsv1.Vacancy) bool {
	a, b := proto.Clone(next).(*eventsv1.Vacancy), proto.Clone(prev).(*eventsv1.Vacancy)
	for _, v := range []*eventsv1.Vacancy{a, b} {
		v.UpdatedAtUnixMs = 0
		v.GetSource().SeenAtUnixMs = 0
	}
	return proto.Equal(a, b)
}

// systemFields are the fields of a vacancy no trust sets.
var systemFields = map[string]bool{
	"id": true, "trust": true, "status": true, "created_at_unix_ms": true, "updated_at_unix_ms": true,
	"posted_date": true, "source": true, "withdrawn_reason": true,
}

// trustSetFields returns the fields (their proto names) that next sets
// otherwise than prev: what a trust changed in a claimed vacancy.
func trustSetFields(next, prev *eventsv1.Vacancy) []string {
	var out []string
	a, b := next.ProtoReflect(), prev.ProtoReflect()
	fields := a.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		name := string(fd.Name())
		if systemFields[name] {
			continue
		}
		if !a.Get(fd).Equal(b.Get(fd)) {
			out = append(out, name)
		}
	}
	return out
}

// keepTrustFields copies into next, from prev, every field the trust set
// after claiming the vacancy: the importer no longer writes them.
func keepTrustFields(next, prev *eventsv1.Vacancy) {
	src := prev.GetSource()
	if !src.GetClaimed() {
		return
	}
	a, b := next.ProtoReflect(), prev.ProtoReflect()
	fields := a.Descriptor().Fields()
	for _, name := range src.GetTrustFields() {
		if fd := fields.ByName(protoreflect.Name(name)); fd != nil && !systemFields[name] {
			if b.Has(fd) {
				a.Set(fd, b.Get(fd))
			} else {
				a.Clear(fd)
			}
		}
	}
}

// closeGone closes the open, unclaimed imported vacancies whose adverts a
// complete run did not find relevant in the feed.
func (im *importer) closeGone(ctx context.Context, seen map[string]bool, run *ImportRun) {
	s := im.s
	now := s.now()
	for _, e := range s.projection.All() {
		v := e.Vacancy
		src := v.GetSource()
		if src.GetName() != SourceNHSJobs || src.GetClaimed() || seen[src.GetId()] || v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN {
			continue
		}
		next, err := ended(v, eventsv1.VacancyChange_VACANCY_CHANGE_CLOSED, "", now)
		if err != nil {
			continue
		}
		next.Actor = "importer"
		seq, err := s.vacancies.Update(ctx, v.GetId(), e.Revision, next)
		if err != nil {
			run.Failed++
			run.LastError = fmt.Sprintf("close %s: %v", v.GetId(), err)
			continue
		}
		im.lastWrite = max(im.lastWrite, seq)
		run.Closed++
	}
}

var (
	postcodeIn = regexp.MustCompile(`(?i)\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b`)
	partTime   = regexp.MustCompile(`(?i)part[- ]time`)
	fullTime   = regexp.MustCompile(`(?i)full[- ]time`)
	jobShare   = regexp.MustCompile(`(?i)job[- ]share`)
	flexible   = regexp.MustCompile(`(?i)flexible working|flexi[- ]time`)
)

// mapAdvert turns a relevant advert into a vacancy as a trust would post
// it; Check then holds it to every rule of a posting.
func mapAdvert(a nhsjobs.Advert, verdict nhsjobs.Verdict, now time.Time) *jobs.VacancyInput {
	in := &jobs.VacancyInput{
		Reference:   sourceReference(a),
		Title:       truncate(a.Title, 200),
		Description: truncate(firstNonEmpty(a.Description, a.Title), 20000),
		RoleFamily:  verdict.RoleFamily,
		Specialisms: verdict.Specialisms,
		Setting:     "acute_hospital",
		Apply:       &jobs.ApplyInput{URL: a.URL, Instructions: "Apply on NHS Jobs, where this vacancy is advertised."},
	}
	if slices.Contains(verdict.Specialisms, "rehabilitation_engineering") && !slices.Contains(verdict.Specialisms, "equipment_management") {
		in.Setting = "rehabilitation_unit"
	}
	in.Band = nhsjobs.Band(a.Title, a.Salary, a.Description)
	lo, hi := nhsjobs.Salary(a.Salary)
	if in.Band == "" {
		in.Band = bandOfSalary(hi)
	}
	if in.Band == "" {
		switch verdict.RoleFamily {
		case "stp_trainee":
			in.Band = "6"
		case "apprentice":
			in.Band = "3"
		}
	}
	if lo == 0 {
		if b, ok := jobs.Parse[eventsv1.Band](in.Band); ok {
			if points := jobs.PayPoints(b); len(points) > 0 {
				lo, hi = points[0], points[len(points)-1]
			}
		}
	}
	in.Salary = &jobs.SalaryInput{Min: lo, Max: hi}
	in.Contract = contractOf(a.ContractType, verdict.RoleFamily)
	pattern := a.WorkingPattern + " " + a.Title
	for re, p := range map[*regexp.Regexp]string{partTime: "part_time", fullTime: "full_time", jobShare: "job_share", flexible: "flexible"} {
		if re.MatchString(pattern) {
			in.WorkingPatterns = append(in.WorkingPatterns, p)
		}
	}
	if len(in.WorkingPatterns) == 0 {
		in.WorkingPatterns = []string{"full_time"}
	}
	slices.Sort(in.WorkingPatterns)
	// Places: each location naming a postcode is a site; failing those, a
	// postcode in the description; the gazetteer places them.
	for _, l := range a.Locations {
		if m := postcodeIn.FindStringSubmatch(l); m != nil {
			name := strings.Trim(strings.TrimSpace(postcodeIn.ReplaceAllString(l, "")), ",;- ")
			site := jobs.SiteInput{Name: truncate(firstNonEmpty(name, a.Employer, l), 200), PlaceInput: jobs.PlaceInput{Postcode: m[1] + " " + m[2]}}
			if in.Site == nil {
				in.Site = &site
			} else if len(in.OtherSites) < jobs.MaxSites-1 {
				in.OtherSites = append(in.OtherSites, site)
			}
		}
	}
	if in.Site == nil {
		if m := postcodeIn.FindStringSubmatch(a.Description); m != nil {
			in.Site = &jobs.SiteInput{Name: truncate(firstNonEmpty(strings.Join(a.Locations, ", "), a.Employer), 200), PlaceInput: jobs.PlaceInput{Postcode: m[1] + " " + m[2]}}
		}
	}
	closing := a.Closing
	if closing.IsZero() {
		// No closing date given: four weeks from when it was posted or seen.
		closing = firstTime(a.Posted, now.UTC()).AddDate(0, 0, 28)
	}
	if limit := now.UTC().Add(jobs.MaxClosingAhead - 48*time.Hour); closing.After(limit) {
		closing = limit
	}
	in.ClosingDate = closing.Format(jobs.DateLayout)
	var req jobs.RequirementsInput
	for _, r := range nhsjobs.Infer(a.Description) {
		g := jobs.GroupInput{Inferred: true, AnyOf: [][]jobs.ConditionInput{{{
			Kind: r.Kind, Register: r.Register, State: r.State, MinClass: r.MinClass, Award: r.Award, Level: r.Level,
			Membership: r.Membership,
		}}}}
		if r.Essential && len(req.Essential) < jobs.MaxGroups {
			req.Essential = append(req.Essential, g)
		} else if !r.Essential && len(req.Desirable) < jobs.MaxGroups {
			req.Desirable = append(req.Desirable, g)
		}
	}
	if len(req.Essential)+len(req.Desirable) > 0 {
		in.Requirements = &req
	}
	return in
}

func contractOf(t, family string) string {
	t = strings.ToLower(t)
	switch {
	case strings.Contains(t, "fixed"):
		return "fixed_term"
	case strings.Contains(t, "secondment"):
		return "secondment"
	case strings.Contains(t, "bank"):
		return "bank"
	case strings.Contains(t, "apprentice"):
		return "apprenticeship"
	case strings.Contains(t, "training"):
		return "training"
	case strings.Contains(t, "permanent"):
		return "permanent"
	case family == "apprentice":
		return "apprenticeship"
	case family == "stp_trainee":
		return "training"
	}
	return "permanent"
}

// bandOfSalary is the band whose 2025/26 pay points hold the top of a
// salary; "" for none.
func bandOfSalary(top int32) string {
	for _, name := range jobs.Names[eventsv1.Band]() {
		b, _ := jobs.Parse[eventsv1.Band](name)
		if p := jobs.PayPoints(b); len(p) > 0 && top >= p[0] && top <= p[len(p)-1] {
			return name
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

func firstTime(t ...time.Time) time.Time {
	for _, x := range t {
		if !x.IsZero() {
			return x
		}
	}
	return time.Time{}
}
