// Package market keeps the operators' picture of the job market: every
// vacancy's role family, band, region, trust and state, learnt by following
// the vacancies bucket's stream (the public announcement of every change),
// and counts of the open ones by each of those.
package market

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Vacancy is what the market keeps of a vacancy.
type Vacancy struct {
	ID         string
	Title      string
	TrustCode  string
	TrustName  string
	RoleFamily string
	Band       string
	Region     string
	status     eventsv1.VacancyStatus
	closesAt   int64
}

func (v Vacancy) open(now time.Time) bool {
	return v.status == eventsv1.VacancyStatus_VACANCY_STATUS_OPEN && now.UnixMilli() < v.closesAt
}

// Market is the picture, safe for concurrent use.
type Market struct {
	mu        sync.RWMutex
	vacancies map[string]Vacancy
	gazetteer *geo.Gazetteer
	cc        jetstream.ConsumeContext
}

// New returns an empty market placing sites with gazetteer.
func New(gazetteer *geo.Gazetteer) *Market {
	return &Market{vacancies: map[string]Vacancy{}, gazetteer: gazetteer}
}

// Apply records one message of the vacancies bucket's stream.
func (m *Market) Apply(msg jetstream.Msg) error {
	ch, err := bus.ParseKV(bus.BucketVacancies, msg)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch.Deleted {
		delete(m.vacancies, ch.Key)
		return nil
	}
	var rec eventsv1.VacancyChanged
	if err := proto.Unmarshal(ch.Value, &rec); err != nil {
		return fmt.Errorf("vacancy %s: %w", ch.Key, err)
	}
	v := rec.GetVacancy()
	loc := v.GetSite().GetLocation()
	area := geo.Postcode(loc.GetPostcode()).Area()
	if area == "" {
		area = m.gazetteer.AreaOf(geo.Point{Lat: loc.GetLatitude(), Lon: loc.GetLongitude()})
	}
	m.vacancies[v.GetId()] = Vacancy{
		ID: v.GetId(), Title: v.GetTitle(), TrustCode: v.GetTrust().GetCode(), TrustName: v.GetTrust().GetName(),
		RoleFamily: jobs.Name(v.GetRoleFamily()), Band: jobs.Name(v.GetBand()), Region: m.gazetteer.Region(area),
		status: v.GetStatus(), closesAt: v.GetClosesAtUnixMs(),
	}
	return nil
}

// Follow keeps the market up to date from js until Stop.
func (m *Market) Follow(ctx context.Context, js jetstream.JetStream, log *slog.Logger) error {
	cons, err := js.OrderedConsumer(ctx, bus.KVStream(bus.BucketVacancies), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return fmt.Errorf("follow vacancies: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if err := m.Apply(msg); err != nil {
			log.Warn("market: unreadable vacancy record", "subject", msg.Subject(), "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("follow vacancies: %w", err)
	}
	m.cc = cc
	return nil
}

// Stop stops following.
func (m *Market) Stop() {
	if m.cc != nil {
		m.cc.Stop()
	}
}

// Count is a number of something named.
type Count struct {
	Name  string `json:"name"`
	Label string `json:"label,omitempty"`
	Count int    `json:"count"`
}

// Summary counts the open vacancies.
type Summary struct {
	Open         int     `json:"open"`
	ByRoleFamily []Count `json:"by_role_family"`
	ByBand       []Count `json:"by_band"`
	ByRegion     []Count `json:"by_region"`
	ByTrust      []Count `json:"by_trust"`
}

// Summarize counts the vacancies open at now.
func (m *Market) Summarize(now time.Time) Summary {
	m.mu.RLock()
	defer m.mu.RUnlock()
	families, bands, regions, trusts := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	trustNames := map[string]string{}
	s := Summary{}
	for _, v := range m.vacancies {
		if !v.open(now) {
			continue
		}
		s.Open++
		families[v.RoleFamily]++
		bands[v.Band]++
		regions[v.Region]++
		trusts[v.TrustCode]++
		trustNames[v.TrustCode] = v.TrustName
	}
	s.ByRoleFamily = ordered(families, jobs.Names[eventsv1.RoleFamily](), nil)
	s.ByBand = ordered(bands, jobs.Names[eventsv1.Band](), nil)
	s.ByRegion = byCount(regions, nil)
	s.ByTrust = byCount(trusts, trustNames)
	return s
}

// ordered lists counts in the order of names, every name shown.
func ordered(counts map[string]int, names []string, labels map[string]string) []Count {
	out := make([]Count, 0, len(names))
	for _, n := range names {
		out = append(out, Count{Name: n, Label: labels[n], Count: counts[n]})
	}
	return out
}

// byCount lists counts largest first, then by name.
func byCount(counts map[string]int, labels map[string]string) []Count {
	out := make([]Count, 0, len(counts))
	for n, c := range counts {
		out = append(out, Count{Name: n, Label: labels[n], Count: c})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out
}

// Open returns the vacancies open at now, by id.
func (m *Market) Open(now time.Time) []Vacancy {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Vacancy
	for _, v := range m.vacancies {
		if v.open(now) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b Vacancy) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return out
}

// ErrNotFound is a vacancy the market does not know.
var ErrNotFound = errors.New("no such vacancy")
