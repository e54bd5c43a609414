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
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
  reach box NOT NULL
);
CREATE TABLE vacancies (
  id text PRIMARY KEY, lat float8 NOT NULL, lon float8 NOT NULL, site point NOT NULL,
  family int NOT NULL, band int NOT NULL, contract int NOT NULL, hours int NOT NULL,
  req_a_levels int NOT NULL, req_a_level_count int NOT NULL, req_class int NOT NULL, req_subjects int NOT NULL,
  req_accredited bool NOT NULL, req_msc bool NOT NULL, req_nvq bool NOT NULL, req_registrations int NOT NULL,
  req_years int NOT NULL, closes_at bigint NOT NULL
);`

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

// registrations counts a CEng as an IEng too, as the rules do.
func registrations(rs []eventsv1.Registration) int32 {
	m := mask(rs)
	if m&(1<<eventsv1.Registration_REGISTRATION_CENG) != 0 {
		m |= 1 << eventsv1.Registration_REGISTRATION_IENG
	}
	return m
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
		q := c.GetQualifications()
		rows[i] = []any{c.GetId(), c.GetHome().GetLatitude(), c.GetHome().GetLongitude(), c.GetTravelRadiusKm(), c.GetWillingToRelocate(),
			mask(c.GetRoleFamilies()), int32(c.GetMinBand()), mask(c.GetContracts()), mask(c.GetHours()),
			mask(q.GetALevels()), int32(len(q.GetALevels())), int32(q.GetDegree().GetSubject()), int32(q.GetDegree().GetClass()),
			q.GetAccreditedDegree(), q.GetMsc(), q.GetNvq(), registrations(q.GetRegistrations()), q.GetYearsExperience(), reach(c)}
	}
	cols := []string{"id", "lat", "lon", "radius_km", "relocate", "families", "min_band", "contracts", "hours", "a_levels", "a_level_count",
		"degree_subject", "degree_class", "accredited", "msc", "nvq", "registrations", "years", "reach"}
	if _, err := s.Conn.CopyFrom(ctx, pgx.Identifier{"candidates"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy candidates: %w", err)
	}
	rows = rows[:0]
	for _, v := range vacs {
		r := v.GetRequirements()
		loc := v.GetSite().GetLocation()
		rows = append(rows, []any{v.GetId(), loc.GetLatitude(), loc.GetLongitude(), pgtype.Point{P: pgtype.Vec2{X: loc.GetLongitude(), Y: loc.GetLatitude()}, Valid: true},
			int32(v.GetRoleFamily()), int32(v.GetBand()), int32(v.GetContract()), int32(v.GetHours()),
			mask(r.GetALevelSubjects()), r.GetMinALevels(), int32(r.GetMinDegreeClass()), mask(r.GetDegreeSubjects()),
			r.GetAccreditedDegree(), r.GetMsc(), r.GetNvq(), mask(r.GetRegistrations()), r.GetMinYearsExperience(), v.GetClosesAtUnixMs()})
	}
	cols = []string{"id", "lat", "lon", "site", "family", "band", "contract", "hours", "req_a_levels", "req_a_level_count", "req_class",
		"req_subjects", "req_accredited", "req_msc", "req_nvq", "req_registrations", "req_years", "closes_at"}
	if _, err := s.Conn.CopyFrom(ctx, pgx.Identifier{"vacancies"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy vacancies: %w", err)
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
  AND (contracts = 0 OR contracts & $5 <> 0) AND (hours = 0 OR hours & $6 <> 0)
  AND a_levels & $7 = $7 AND a_level_count >= $8
  AND ($9 = 0 OR (degree_class >= $9 AND ($10 = 0 OR (1 << degree_subject) & $10 <> 0)))
  AND (NOT $11 OR accredited) AND (NOT $12 OR msc) AND (NOT $13 OR nvq)
  AND registrations & $14 = $14 AND years >= $15
  AND (relocate OR round(km(lat, lon, $2, $1) * 10) <= radius_km * 10)`

// MatchVacancy returns the ids of the candidates v fits (open at now).
func (s *Server) MatchVacancy(ctx context.Context, v *eventsv1.Vacancy, now time.Time) ([]string, error) {
	if v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN || now.UnixMilli() >= v.GetClosesAtUnixMs() {
		return nil, nil
	}
	r := v.GetRequirements()
	loc := v.GetSite().GetLocation()
	rows, err := s.Conn.Query(ctx, vacancyQuery, loc.GetLongitude(), loc.GetLatitude(),
		int32(1)<<v.GetRoleFamily(), int32(v.GetBand()), int32(1)<<v.GetContract(), int32(1)<<v.GetHours(),
		mask(r.GetALevelSubjects()), r.GetMinALevels(), int32(r.GetMinDegreeClass()), mask(r.GetDegreeSubjects()),
		r.GetAccreditedDegree(), r.GetMsc(), r.GetNvq(), mask(r.GetRegistrations()), r.GetMinYearsExperience())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

const candidateQuery = `
SELECT id FROM vacancies
WHERE site <@ $1::box
  AND $2 & (1 << family) <> 0 AND band >= $3
  AND ($4 = 0 OR $4 & (1 << contract) <> 0) AND ($5 = 0 OR $5 & (1 << hours) <> 0)
  AND req_a_levels & ~($6::int) = 0 AND req_a_level_count <= $7
  AND (req_class = 0 OR ($8 >= req_class AND (req_subjects = 0 OR req_subjects & (1 << $9) <> 0)))
  AND (NOT req_accredited OR $10) AND (NOT req_msc OR $11) AND (NOT req_nvq OR $12)
  AND req_registrations & ~($13::int) = 0 AND req_years <= $14 AND closes_at > $15
  AND round(km($16, $17, lat, lon) * 10) <= $18 * 10`

const relocateQuery = `
SELECT id FROM vacancies
WHERE $2 & (1 << family) <> 0 AND band >= $3
  AND ($4 = 0 OR $4 & (1 << contract) <> 0) AND ($5 = 0 OR $5 & (1 << hours) <> 0)
  AND req_a_levels & ~($6::int) = 0 AND req_a_level_count <= $7
  AND (req_class = 0 OR ($8 >= req_class AND (req_subjects = 0 OR req_subjects & (1 << $9) <> 0)))
  AND (NOT req_accredited OR $10) AND (NOT req_msc OR $11) AND (NOT req_nvq OR $12)
  AND req_registrations & ~($13::int) = 0 AND req_years <= $14 AND closes_at > $15
  AND ($1::box IS NOT NULL OR $16::float8 IS NOT NULL OR $17::float8 IS NOT NULL OR $18::int IS NOT NULL)`

// MatchCandidate returns the ids of the open vacancies c fits at now.
func (s *Server) MatchCandidate(ctx context.Context, c *eventsv1.Candidate, now time.Time) ([]string, error) {
	q := c.GetQualifications()
	query := candidateQuery
	if c.GetWillingToRelocate() {
		query = relocateQuery
	}
	rows, err := s.Conn.Query(ctx, query, reach(c), mask(c.GetRoleFamilies()), int32(c.GetMinBand()), mask(c.GetContracts()), mask(c.GetHours()),
		mask(q.GetALevels()), int32(len(q.GetALevels())), int32(q.GetDegree().GetClass()), int32(q.GetDegree().GetSubject()),
		q.GetAccreditedDegree(), q.GetMsc(), q.GetNvq(), registrations(q.GetRegistrations()), q.GetYearsExperience(), now.UnixMilli(),
		c.GetHome().GetLatitude(), c.GetHome().GetLongitude(), c.GetTravelRadiusKm())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
