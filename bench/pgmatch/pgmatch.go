// Package pgmatch runs the matching queries on PostgreSQL, for comparison:
// the same candidates and vacancies in tables with the indexes a competent
// engineer would give them (a GiST index on each candidate's reach, the box
// around home that their radius covers; a GiST index on vacancy sites;
// qualifications as bit masks), and the rules as SQL. The benchmark starts
// its own server, from Debian's packages, in a temporary directory.
package pgmatch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Server is a PostgreSQL server of the benchmark's own.
type Server struct {
	dir    string
	bin    string
	cred   *syscall.Credential
	socket string
	port   int
	Conn   *pgx.Conn
}

// binDir finds Debian's PostgreSQL binaries.
func binDir() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(matches) == 0 {
		return "", errors.New("PostgreSQL is not installed: apt-get install postgresql")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// Start initialises and starts a server in a new temporary directory. As
// root, it runs as the postgres user (PostgreSQL refuses root).
func Start(ctx context.Context) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "benchmatch-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, socket: dir, port: 54000 + os.Getpid()%1000}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories=%s -p %d -c shared_buffers=1GB -c work_mem=64MB "+
		"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_parallel_workers_per_gather=0", dir, s.port)
	if out, err := s.run(ctx, "pg_ctl", "-D", data, "-w", "-l", filepath.Join(dir, "log"), "-o", opts, "start"); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", dir, s.port))
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	s.Conn = conn
	return s, nil
}

func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	if s.Conn != nil {
		_ = s.Conn.Close(context.Background())
	}
	_, err := s.run(context.Background(), "pg_ctl", "-D", filepath.Join(s.dir, "data"), "-w", "-m", "immediate", "stop")
	return errors.Join(err, os.RemoveAll(s.dir))
}

const schema = `
CREATE FUNCTION km(lat1 float8, lon1 float8, lat2 float8, lon2 float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 2 * 6371.0088 * asin(least(1, sqrt(
    sin(radians(lat2 - lat1) / 2) ^ 2 +
    cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)))
$$;
CREATE TABLE candidates (
  id text PRIMARY KEY, lat float8 NOT NULL, lon float8 NOT NULL, radius_km int NOT NULL, relocate bool NOT NULL,
  families int NOT NULL, min_band int NOT NULL, contracts int NOT NULL, hours int NOT NULL,
  a_levels int NOT NULL, a_level_count int NOT NULL, degree_subject int NOT NULL, degree_class int NOT NULL,
  accredited bool NOT NULL, msc bool NOT NULL, nvq bool NOT NULL, registrations int NOT NULL, years int NOT NULL,
  reach box NOT NULL,
  settings int NOT NULL, patterns int NOT NULL, min_salary int NOT NULL, avail int NOT NULL,
  reg int NOT NULL, ipem int NOT NULL, gcse_m int NOT NULL, gcse_e int NOT NULL, tariff int NOT NULL, tariff_p int NOT NULL,
  subj int NOT NULL, subj_p int NOT NULL, lvl int NOT NULL, lvl_p int NOT NULL, awards int NOT NULL, awards_p int NOT NULL,
  app int NOT NULL, app_p int NOT NULL, deg_class int NOT NULL, deg_subject int NOT NULL, deg_pred bool NOT NULL,
  higher int NOT NULL, higher_p int NOT NULL, spec_years int[] NOT NULL,
  emp_trusts text[] NOT NULL, emp_nhs bool NOT NULL, emp_restricted bool NOT NULL
);
CREATE TABLE vacancies (
  id text PRIMARY KEY, lat float8 NOT NULL, lon float8 NOT NULL, site point NOT NULL,
  family int NOT NULL, band int NOT NULL, contract int NOT NULL, hours int NOT NULL,
  req_a_levels int NOT NULL, req_a_level_count int NOT NULL, req_class int NOT NULL, req_subjects int NOT NULL,
  req_accredited bool NOT NULL, req_msc bool NOT NULL, req_nvq bool NOT NULL, req_registrations int NOT NULL,
  req_years int NOT NULL, closes_at bigint NOT NULL,
  setting int NOT NULL, patterns int NOT NULL, salary_max int NOT NULL, start_day int NOT NULL,
  pub int NOT NULL, audience int NOT NULL, trust text NOT NULL, grp text[] NOT NULL
);
-- Essential groups: a vacancy's group is met by any of its alternatives, an
-- alternative by all of its conditions (a group with none by no one).
CREATE TABLE req_groups (vacancy_id text NOT NULL, grp int NOT NULL, PRIMARY KEY (vacancy_id, grp));
CREATE TABLE req_alts (vacancy_id text NOT NULL, grp int NOT NULL, alt int NOT NULL, PRIMARY KEY (vacancy_id, grp, alt));
CREATE TABLE req_conds (vacancy_id text NOT NULL, grp int NOT NULL, alt int NOT NULL, kind int NOT NULL,
  predicted bool NOT NULL, n int NOT NULL, m int NOT NULL, a int NOT NULL, b int NOT NULL, never bool NOT NULL);
CREATE INDEX req_conds_alt ON req_conds (vacancy_id, grp, alt);`

const indexes = `
CREATE INDEX candidates_reach ON candidates USING gist (reach);
CREATE INDEX candidates_relocate ON candidates (id) WHERE relocate;
CREATE INDEX vacancies_site ON vacancies USING gist (site);
ANALYZE candidates;
ANALYZE vacancies;`

func mask[E ~int32](vs []E) int32 {
	var m int32
	for _, v := range vs {
		if v >= 0 && v < 31 {
			m |= 1 << v
		}
	}
	return m
}

// registered is the mask of the registers a profile is registered in (a
// CEng in IEng's and EngTech's too, as the rules count them).
func registered(p *match.Profile) int32 {
	var m int32
	for r, state := range p.Reg {
		if state >= uint8(eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED) {
			m |= 1 << r
		}
	}
	return m
}

// regStates packs the state held in each register, two bits a register.
func regStates(p *match.Profile) int32 {
	var m int32
	for r, state := range p.Reg {
		m |= int32(state&3) << (2 * r)
	}
	return m
}

func day(date string) int32 {
	n, err := strconv.Atoi(strings.ReplaceAll(date, "-", ""))
	if err != nil || len(date) != 10 {
		return 0
	}
	return int32(n)
}

// condSQL is the SQL of "a condition holds for a profile": cond names the
// condition's numbers (kind, predicted, n, m, a, b, never) and prof the
// profile's columns or values (see the candidates table), each as SQL, so
// that the same words test a vacancy's conditions against the candidates'
// columns and a candidate's values against the conditions' rows.
func condSQL(cond, prof map[string]string) string {
	c := func(k string) string { return cond[k] }
	p := func(k string) string { return prof[k] }
	pr := func(held, predicted string) string {
		return fmt.Sprintf("(CASE WHEN %s THEN %s ELSE %s END)", c("predicted"), p(predicted), p(held))
	}
	return fmt.Sprintf(`(NOT %s AND CASE %s
  WHEN 1 THEN %s >= %s AND (%s OR NOT %s) AND (%s = 0 OR (1 << %s) & %s <> 0)
  WHEN 2 THEN %s <> 0 AND (%s = 0 OR %s & %s <> 0)
  WHEN 3 THEN %s >= %s
  WHEN 4 THEN %s & %s <> 0
  WHEN 5 THEN %s >= %s
  WHEN 6 THEN %s >= %s AND %s & %s = %s
  WHEN 7 THEN %s >= %s AND %s >= %s
  WHEN 8 THEN (%s >> (2 * %s)) & 3 >= %s
  WHEN 9 THEN %s >= %s
  WHEN 10 THEN CASE WHEN %s = 0 THEN %s >= %s ELSE (%s)[%s + 1] >= %s END
  ELSE false END)`,
		c("never"), c("kind"),
		p("deg_class"), c("n"), c("predicted"), p("deg_pred"), c("m"), p("deg_subject"), c("m"),
		pr("higher", "higher_p"), c("m"), pr("higher", "higher_p"), c("m"),
		pr("lvl", "lvl_p"), c("n"),
		pr("awards", "awards_p"), c("m"),
		pr("app", "app_p"), c("n"),
		pr("tariff", "tariff_p"), c("n"), pr("subj", "subj_p"), c("m"), c("m"),
		p("gcse_m"), c("n"), p("gcse_e"), c("b"),
		p("reg"), c("a"), c("n"),
		p("ipem"), c("n"),
		c("a"), p("years"), c("n"), p("spec_years"), c("a"), c("n"))
}

var profileColumns = []string{"deg_class", "deg_pred", "deg_subject", "higher", "higher_p", "lvl", "lvl_p", "awards", "awards_p",
	"app", "app_p", "tariff", "tariff_p", "subj", "subj_p", "gcse_m", "gcse_e", "reg", "ipem", "years", "spec_years"}

// profileValues are a profile's columns as SQL literals.
func profileValues(p *match.Profile) map[string]string {
	years := make([]string, len(p.SpecialismYears))
	for i, y := range p.SpecialismYears {
		years[i] = strconv.Itoa(int(y))
	}
	lit := func(n any) string { return fmt.Sprint(n) }
	return map[string]string{
		"deg_class": lit(p.DegreeClass), "deg_pred": lit(p.DegreePredicted), "deg_subject": lit(p.DegreeSubject),
		"higher": lit(p.Higher), "higher_p": lit(p.HigherPredicted), "lvl": lit(p.Level), "lvl_p": lit(p.LevelPredicted),
		"awards": lit(p.Awards), "awards_p": lit(p.AwardsPredicted), "app": lit(p.Apprentice), "app_p": lit(p.ApprenticePredicted),
		"tariff": lit(p.Tariff), "tariff_p": lit(p.TariffPredicted), "subj": lit(p.Subjects), "subj_p": lit(p.SubjectsPredicted),
		"gcse_m": lit(p.GCSEMaths), "gcse_e": lit(p.GCSEEnglish), "reg": lit(regStates(p)), "ipem": lit(p.Ipem),
		"years": lit(p.Years), "spec_years": "ARRAY[" + strings.Join(years, ",") + "]::int[]",
	}
}

// condValues are a compiled condition's numbers as SQL literals.
func condValues(k match.Cond) map[string]string {
	kind, predicted, n, m, a, b, never := k.Params()
	return map[string]string{"kind": fmt.Sprint(int32(kind)), "predicted": fmt.Sprint(predicted), "n": fmt.Sprint(n),
		"m": fmt.Sprint(m), "a": fmt.Sprint(a), "b": fmt.Sprint(b), "never": fmt.Sprint(never)}
}

// essentialSQL is the SQL of "the candidate of the row meets every
// essential group of v".
func essentialSQL(v *eventsv1.Vacancy) string {
	cols := map[string]string{}
	for _, c := range profileColumns {
		cols[c] = c
	}
	var groups []string
	for _, g := range match.CompileGroups(v.GetRequirements()).Essential {
		alts := []string{"false"}
		for _, alt := range g.Alts {
			conds := []string{"true"}
			for _, k := range alt {
				conds = append(conds, condSQL(condValues(k), cols))
			}
			alts = append(alts, "("+strings.Join(conds, " AND ")+")")
		}
		groups = append(groups, "("+strings.Join(alts, " OR ")+")")
	}
	if len(groups) == 0 {
		return ""
	}
	return " AND " + strings.Join(groups, " AND ")
}

// reach is the box of (longitude, latitude) a candidate's radius covers,
// widened a little for the rounding of distances to 0.1 km.
func reach(c *eventsv1.Candidate) pgtype.Box {
	lat, lon := c.GetHome().GetLatitude(), c.GetHome().GetLongitude()
	km := float64(c.GetTravelRadiusKm()) + 0.1
	dLat := km / 111.0
	dLon := km / (111.0 * math.Max(0.01, math.Cos((math.Abs(lat)+dLat)*math.Pi/180)))
	return pgtype.Box{P: [2]pgtype.Vec2{{X: lon + dLon, Y: lat + dLat}, {X: lon - dLon, Y: lat - dLat}}, Valid: true}
}

// Load creates the tables, copies the population in and builds the indexes.
func (s *Server) Load(ctx context.Context, cands []*eventsv1.Candidate, vacs []*eventsv1.Vacancy) error {
	if _, err := s.Conn.Exec(ctx, schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	rows := make([][]any, len(cands))
	for i, c := range cands {
		c = eventsv1.UpgradeCandidate(c)
		q := c.GetQualifications()
		p := match.ProfileOf(q)
		class := int32(q.GetDegree().GetClass())
		if q.GetDegree().GetPredicted() {
			class = 0 // the plain degree rules count an awarded degree only
		}
		years := make([]int32, len(p.SpecialismYears))
		for i, y := range p.SpecialismYears {
			years[i] = int32(y)
		}
		rows[i] = []any{c.GetId(), c.GetHome().GetLatitude(), c.GetHome().GetLongitude(), c.GetTravelRadiusKm(), c.GetWillingToRelocate(),
			mask(c.GetRoleFamilies()), int32(c.GetMinBand()), mask(c.GetContracts()), mask(c.GetWorkingPatterns()),
			mask(q.GetALevels()), int32(len(q.GetALevels())), int32(q.GetDegree().GetSubject()), class,
			q.GetAccreditedDegree(), p.Awards&(1<<eventsv1.Award_AWARD_MSC) != 0, q.GetNvq(), registered(&p), q.GetYearsExperience(), reach(c),
			mask(c.GetSettings()), mask(c.GetWorkingPatterns()), c.GetMinSalary(), day(c.GetAvailableFrom()),
			regStates(&p), int32(p.Ipem), int32(p.GCSEMaths), int32(p.GCSEEnglish), int32(p.Tariff), int32(p.TariffPredicted),
			int32(p.Subjects), int32(p.SubjectsPredicted), int32(p.Level), int32(p.LevelPredicted), int32(p.Awards), int32(p.AwardsPredicted),
			int32(p.Apprentice), int32(p.ApprenticePredicted), int32(p.DegreeClass), int32(p.DegreeSubject), p.DegreePredicted,
			int32(p.Higher), int32(p.HigherPredicted), years,
			nonEmpty(c.GetEmployment().GetTrusts()), c.GetEmployment().GetNhs(), c.GetEmployment().GetRestrictedStatus()}
	}
	cols := []string{"id", "lat", "lon", "radius_km", "relocate", "families", "min_band", "contracts", "hours", "a_levels", "a_level_count",
		"degree_subject", "degree_class", "accredited", "msc", "nvq", "registrations", "years", "reach",
		"settings", "patterns", "min_salary", "avail", "reg", "ipem", "gcse_m", "gcse_e", "tariff", "tariff_p",
		"subj", "subj_p", "lvl", "lvl_p", "awards", "awards_p", "app", "app_p", "deg_class", "deg_subject", "deg_pred",
		"higher", "higher_p", "spec_years", "emp_trusts", "emp_nhs", "emp_restricted"}
	if _, err := s.Conn.CopyFrom(ctx, pgx.Identifier{"candidates"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy candidates: %w", err)
	}
	rows = rows[:0]
	var groups, alts, conds [][]any
	for _, v := range vacs {
		v = eventsv1.UpgradeVacancy(v)
		r := v.GetRequirements()
		loc := v.GetSite().GetLocation()
		rows = append(rows, []any{v.GetId(), loc.GetLatitude(), loc.GetLongitude(), pgtype.Point{P: pgtype.Vec2{X: loc.GetLongitude(), Y: loc.GetLatitude()}, Valid: true},
			int32(v.GetRoleFamily()), int32(v.GetBand()), int32(v.GetContract()), mask(v.GetWorkingPatterns()),
			mask(r.GetALevelSubjects()), r.GetMinALevels(), int32(r.GetMinDegreeClass()), mask(r.GetDegreeSubjects()),
			r.GetAccreditedDegree(), r.GetMsc(), r.GetNvq(), mask(r.GetRegistrations()), r.GetMinYearsExperience(), v.GetClosesAtUnixMs(),
			int32(v.GetSetting()), mask(v.GetWorkingPatterns()), v.GetSalaryMax(), day(v.GetStartDate()),
			int32(v.GetPublishing().GetOption()), int32(v.GetPublishing().GetAudience()), v.GetTrust().GetCode(), group(v)})
		for gi, g := range match.CompileGroups(r).Essential {
			groups = append(groups, []any{v.GetId(), int32(gi)})
			for ai, alt := range g.Alts {
				alts = append(alts, []any{v.GetId(), int32(gi), int32(ai)})
				for _, k := range alt {
					kind, predicted, n, m, a, b, never := k.Params()
					conds = append(conds, []any{v.GetId(), int32(gi), int32(ai), int32(kind), predicted, int32(n), int32(m), int32(a), int32(b), never})
				}
			}
		}
	}
	cols = []string{"id", "lat", "lon", "site", "family", "band", "contract", "hours", "req_a_levels", "req_a_level_count", "req_class",
		"req_subjects", "req_accredited", "req_msc", "req_nvq", "req_registrations", "req_years", "closes_at",
		"setting", "patterns", "salary_max", "start_day", "pub", "audience", "trust", "grp"}
	if _, err := s.Conn.CopyFrom(ctx, pgx.Identifier{"vacancies"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy vacancies: %w", err)
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"req_groups", []string{"vacancy_id", "grp"}, groups},
		{"req_alts", []string{"vacancy_id", "grp", "alt"}, alts},
		{"req_conds", []string{"vacancy_id", "grp", "alt", "kind", "predicted", "n", "m", "a", "b", "never"}, conds},
	} {
		if _, err := s.Conn.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", t.table, err)
		}
	}
	if _, err := s.Conn.Exec(ctx, indexes); err != nil {
		return fmt.Errorf("indexes: %w", err)
	}
	return nil
}

const vacancyQuery = `
SELECT id FROM candidates
WHERE (reach @> point($1, $2) OR relocate)
  AND families & $3 <> 0 AND min_band <= $4
  AND (contracts = 0 OR contracts & $5 <> 0) AND (hours = 0 OR $6 = 0 OR hours & $6 <> 0)
  AND a_levels & $7 = $7 AND a_level_count >= $8
  AND ($9 = 0 OR (degree_class >= $9 AND ($10 = 0 OR (1 << degree_subject) & $10 <> 0)))
  AND (NOT $11 OR accredited) AND (NOT $12 OR msc) AND (NOT $13 OR nvq)
  AND registrations & $14 = $14 AND years >= $15
  AND (settings = 0 OR settings & $16 <> 0)
  AND min_salary <= $17 AND (avail = 0 OR $18 = 0 OR avail <= $18)
  AND (relocate OR round(km(lat, lon, $2, $1) * 10) <= radius_km * 10)`

// MatchVacancy returns the ids of the candidates v fits (open at now).
func (s *Server) MatchVacancy(ctx context.Context, v *eventsv1.Vacancy, now time.Time) ([]string, error) {
	if v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN || now.UnixMilli() >= v.GetClosesAtUnixMs() {
		return nil, nil
	}
	v = eventsv1.UpgradeVacancy(v)
	r := v.GetRequirements()
	loc := v.GetSite().GetLocation()
	rows, err := s.Conn.Query(ctx, vacancyQuery+essentialSQL(v)+visibleSQL(v), loc.GetLongitude(), loc.GetLatitude(),
		int32(1)<<v.GetRoleFamily(), int32(v.GetBand()), int32(1)<<v.GetContract(), mask(v.GetWorkingPatterns()),
		mask(r.GetALevelSubjects()), r.GetMinALevels(), int32(r.GetMinDegreeClass()), mask(r.GetDegreeSubjects()),
		r.GetAccreditedDegree(), r.GetMsc(), r.GetNvq(), mask(r.GetRegistrations()), r.GetMinYearsExperience(),
		int32(1)<<v.GetSetting(), v.GetSalaryMax(), day(v.GetStartDate()))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

const candidateQuery = `
SELECT id FROM vacancies
WHERE site <@ $1::box
  AND $2 & (1 << family) <> 0 AND band >= $3
  AND ($4 = 0 OR $4 & (1 << contract) <> 0) AND ($5 = 0 OR hours = 0 OR $5 & hours <> 0)
  AND req_a_levels & ~($6::int) = 0 AND req_a_level_count <= $7
  AND (req_class = 0 OR ($8 >= req_class AND (req_subjects = 0 OR req_subjects & (1 << $9) <> 0)))
  AND (NOT req_accredited OR $10) AND (NOT req_msc OR $11) AND (NOT req_nvq OR $12)
  AND req_registrations & ~($13::int) = 0 AND req_years <= $14 AND closes_at > $15
  AND round(km($16, $17, lat, lon) * 10) <= $18 * 10`

const relocateQuery = `
SELECT id FROM vacancies
WHERE $2 & (1 << family) <> 0 AND band >= $3
  AND ($4 = 0 OR $4 & (1 << contract) <> 0) AND ($5 = 0 OR hours = 0 OR $5 & hours <> 0)
  AND req_a_levels & ~($6::int) = 0 AND req_a_level_count <= $7
  AND (req_class = 0 OR ($8 >= req_class AND (req_subjects = 0 OR req_subjects & (1 << $9) <> 0)))
  AND (NOT req_accredited OR $10) AND (NOT req_msc OR $11) AND (NOT req_nvq OR $12)
  AND req_registrations & ~($13::int) = 0 AND req_years <= $14 AND closes_at > $15
  AND ($1::box IS NOT NULL OR $16::float8 IS NOT NULL OR $17::float8 IS NOT NULL OR $18::int IS NOT NULL)`

// candidateExtra is what both candidate queries add: settings, salary,
// start date, and no essential group unmet (the profile's values are
// written into the query by candidateGroupsSQL).
const candidateExtra = `
  AND ($19 = 0 OR $19 & (1 << setting) <> 0) AND salary_max >= $20 AND ($21 = 0 OR start_day = 0 OR $21 <= start_day)`

// candidateGroupsSQL is the SQL of "no essential group of the vacancy of
// the row is unmet by the profile p".
func candidateGroupsSQL(p *match.Profile) string {
	cond := map[string]string{}
	for _, k := range []string{"kind", "predicted", "n", "m", "a", "b", "never"} {
		cond[k] = "c." + k
	}
	return `
  AND NOT EXISTS (SELECT 1 FROM req_groups g WHERE g.vacancy_id = vacancies.id AND NOT EXISTS (
    SELECT 1 FROM req_alts a WHERE a.vacancy_id = g.vacancy_id AND a.grp = g.grp AND NOT EXISTS (
      SELECT 1 FROM req_conds c WHERE c.vacancy_id = a.vacancy_id AND c.grp = a.grp AND c.alt = a.alt
        AND NOT ` + condSQL(cond, profileValues(p)) + `)))`
}

// MatchCandidate returns the ids of the open vacancies c fits at now.
func (s *Server) MatchCandidate(ctx context.Context, c *eventsv1.Candidate, now time.Time) ([]string, error) {
	c = eventsv1.UpgradeCandidate(c)
	q := c.GetQualifications()
	p := match.ProfileOf(q)
	query := candidateQuery
	if c.GetWillingToRelocate() {
		query = relocateQuery
	}
	class := int32(q.GetDegree().GetClass())
	if q.GetDegree().GetPredicted() {
		class = 0
	}
	rows, err := s.Conn.Query(ctx, query+candidateExtra+candidateGroupsSQL(&p)+candidateVisibleSQL(c), reach(c), mask(c.GetRoleFamilies()), int32(c.GetMinBand()), mask(c.GetContracts()), mask(c.GetWorkingPatterns()),
		mask(q.GetALevels()), int32(len(q.GetALevels())), class, int32(q.GetDegree().GetSubject()),
		q.GetAccreditedDegree(), p.Awards&(1<<eventsv1.Award_AWARD_MSC) != 0, q.GetNvq(), registered(&p), q.GetYearsExperience(), now.UnixMilli(),
		c.GetHome().GetLatitude(), c.GetHome().GetLongitude(), c.GetTravelRadiusKm(),
		mask(c.GetSettings()), c.GetMinSalary(), day(c.GetAvailableFrom()))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// nonEmpty is ss without empty strings, never nil.
func nonEmpty(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// group is the trusts whose staff a group audience admits: the group's
// and the posting trust.
func group(v *eventsv1.Vacancy) []string {
	return nonEmpty(append([]string{v.GetTrust().GetCode()}, v.GetPublishing().GetGroupTrusts()...))
}

// textArray is ss as an SQL literal.
func textArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return "ARRAY[" + strings.Join(q, ",") + "]::text[]"
}

// visibleSQL is the SQL of "the candidate of the row may see v"
// (match.Visible), v's values written in.
func visibleSQL(v *eventsv1.Vacancy) string {
	p := v.GetPublishing()
	trust := v.GetTrust().GetCode()
	works := "false"
	switch p.GetAudience() {
	case eventsv1.Audience_AUDIENCE_TRUST:
		if trust != "" {
			works = textArray([]string{trust}) + " && emp_trusts"
		}
	case eventsv1.Audience_AUDIENCE_GROUP:
		works = textArray(group(v)) + " && emp_trusts"
	}
	switch p.GetOption() {
	case eventsv1.PublishingOption_PUBLISHING_OPTION_UNSPECIFIED, eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC:
		return ""
	case eventsv1.PublishingOption_PUBLISHING_OPTION_INTERNAL:
		return " AND (" + works + ")"
	case eventsv1.PublishingOption_PUBLISHING_OPTION_RESTRICTED:
		if p.GetAudience() == eventsv1.Audience_AUDIENCE_NHS {
			works = "(emp_nhs OR cardinality(emp_trusts) > 0)"
		}
		return " AND emp_restricted AND (" + works + ")"
	}
	return " AND false"
}

// candidateVisibleSQL is the SQL of "c may see the vacancy of the row"
// (match.Visible), c's values written in.
func candidateVisibleSQL(c *eventsv1.Candidate) string {
	e := c.GetEmployment()
	trusts := textArray(nonEmpty(e.GetTrusts()))
	works := fmt.Sprintf("(audience = 1 AND trust <> '' AND trust = ANY(%s) OR audience = 2 AND grp && %s)", trusts, trusts)
	nhs := e.GetNhs() || len(e.GetTrusts()) > 0
	return fmt.Sprintf(`
  AND (pub IN (0, 1) OR pub = 2 AND %s OR pub = 3 AND %t AND (%s OR audience = 3 AND %t))`, works, e.GetRestrictedStatus(), works, nhs)
}
