// Package projection is ingest's read model of vacancies: every vacancy as
// its latest record says, kept in memory by following the vacancies bucket's
// stream, so that lists with filters and cursors are answered without
// scanning JetStream. Each ingest replica keeps its own; it is ready once it
// has caught up with the stream as it stood at start.
package projection

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Entry is a vacancy and the revision of its record.
type Entry struct {
	Vacancy  *eventsv1.Vacancy
	Revision uint64
}

// Projection is safe for concurrent use.
type Projection struct {
	mu   sync.RWMutex
	byID map[string]Entry
	// seq is the last stream sequence applied.
	seq    atomic.Uint64
	target uint64
	ready  atomic.Bool
	cc     jetstream.ConsumeContext
	log    *slog.Logger
}

// New returns an empty projection.
func New(log *slog.Logger) *Projection {
	return &Projection{byID: map[string]Entry{}, log: log}
}

// Follow loads the latest record of every vacancy and keeps following the
// stream until Stop. Ready reports when the load has caught up.
func (p *Projection) Follow(ctx context.Context, js jetstream.JetStream) error {
	stream, err := js.Stream(ctx, bus.KVStream(bus.BucketVacancies))
	if err != nil {
		return fmt.Errorf("follow vacancies: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("follow vacancies: %w", err)
	}
	p.target = info.State.LastSeq
	if p.target == 0 {
		p.ready.Store(true)
	}
	cons, err := js.OrderedConsumer(ctx, bus.KVStream(bus.BucketVacancies), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return fmt.Errorf("follow vacancies: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if err := p.apply(msg); err != nil {
			p.log.Warn("unreadable vacancy record", "subject", msg.Subject(), "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("follow vacancies: %w", err)
	}
	p.cc = cc
	return nil
}

// Stop stops following.
func (p *Projection) Stop() {
	if p.cc != nil {
		p.cc.Stop()
	}
}

func (p *Projection) apply(msg jetstream.Msg) error {
	ch, err := bus.ParseKV(bus.BucketVacancies, msg)
	if err != nil {
		return err
	}
	defer func() {
		p.seq.Store(ch.Revision)
		if md, err := msg.Metadata(); err == nil && (md.NumPending == 0 || ch.Revision >= p.target) {
			p.ready.Store(true)
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	if ch.Deleted {
		delete(p.byID, ch.Key)
		return nil
	}
	var rec eventsv1.VacancyChanged
	if err := proto.Unmarshal(ch.Value, &rec); err != nil {
		return err
	}
	if old, ok := p.byID[ch.Key]; ok && old.Revision > ch.Revision {
		return nil
	}
	p.byID[ch.Key] = Entry{Vacancy: rec.GetVacancy(), Revision: ch.Revision}
	return nil
}

// ErrNotReady is reported by Check until the projection has caught up.
var ErrNotReady = errors.New("vacancy read model is catching up")

// Check is a readiness check.
func (p *Projection) Check(context.Context) error {
	if !p.ready.Load() {
		return ErrNotReady
	}
	return nil
}

// WaitFor waits until the projection has applied stream sequence seq (a
// write's revision), so that a client reads its own writes from a list.
func (p *Projection) WaitFor(ctx context.Context, seq uint64) {
	for p.seq.Load() < seq {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Get returns a vacancy by id.
func (p *Projection) Get(id string) (Entry, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.byID[id]
	return e, ok
}

// Filter selects vacancies. Zero fields select everything.
type Filter struct {
	Trust         string
	Status        eventsv1.VacancyStatus
	OpenAt        time.Time // only vacancies open at this instant
	RoleFamily    eventsv1.RoleFamily
	Specialism    eventsv1.Specialism
	MinBand       eventsv1.Band
	Near          *geo.Point
	WithinKm      float64
	ClosingAfter  string // YYYY-MM-DD: closing on or after this date
	ClosingBefore string // YYYY-MM-DD: closing on or before this date
	// Contract and WorkingPattern select vacancies on that contract, or
	// offering that working pattern (the web service's search).
	Contract       eventsv1.Contract
	WorkingPattern eventsv1.WorkingPattern
	// Visible, when set, keeps only the vacancies the reader may see.
	Visible func(*eventsv1.Vacancy) bool
}

func (f Filter) match(v *eventsv1.Vacancy) bool {
	switch {
	case f.Trust != "" && v.GetTrust().GetCode() != f.Trust,
		f.Status != 0 && v.GetStatus() != f.Status,
		!f.OpenAt.IsZero() && !jobs.IsOpen(v, f.OpenAt),
		f.RoleFamily != 0 && v.GetRoleFamily() != f.RoleFamily,
		f.Specialism != 0 && !slices.Contains(v.GetSpecialisms(), f.Specialism),
		f.MinBand != 0 && v.GetBand() < f.MinBand,
		f.ClosingAfter != "" && v.GetClosingDate() < f.ClosingAfter,
		f.ClosingBefore != "" && v.GetClosingDate() > f.ClosingBefore,
		f.Contract != 0 && v.GetContract() != f.Contract,
		f.WorkingPattern != 0 && !slices.Contains(v.GetWorkingPatterns(), f.WorkingPattern),
		f.Visible != nil && !f.Visible(v):
		return false
	}
	if f.Near != nil {
		site := geo.Point{Lat: v.GetSite().GetLocation().GetLatitude(), Lon: v.GetSite().GetLocation().GetLongitude()}
		if geo.DistanceKm(*f.Near, site) > f.WithinKm {
			return false
		}
	}
	return true
}

// Page is one page of a list.
type Page struct {
	Entries []Entry
	// Next is the cursor of the next page; empty on the last.
	Next string
}

// List returns the vacancies f selects, in a stable order (soonest closing,
// then id), after the cursor after, at most limit of them.
func (p *Projection) List(f Filter, after string, limit int) Page {
	p.mu.RLock()
	var all []Entry
	for _, e := range p.byID {
		if f.match(e.Vacancy) {
			all = append(all, e)
		}
	}
	p.mu.RUnlock()
	slices.SortFunc(all, func(a, b Entry) int {
		if c := cmp.Compare(a.Vacancy.GetClosingDate(), b.Vacancy.GetClosingDate()); c != 0 {
			return c
		}
		return cmp.Compare(a.Vacancy.GetId(), b.Vacancy.GetId())
	})
	start := 0
	if after != "" {
		start = len(all)
		for i, e := range all {
			if key(e) > after {
				start = i
				break
			}
		}
	}
	end := min(len(all), start+limit)
	pg := Page{Entries: all[start:end]}
	if end < len(all) {
		pg.Next = key(all[end-1])
	}
	return pg
}

// key orders entries as List does; a cursor is the key of the last entry
// seen, so pages stay right when vacancies come and go between them.
func key(e Entry) string { return e.Vacancy.GetClosingDate() + "\x00" + e.Vacancy.GetId() }

// Due returns the open vacancies whose closing time has passed at now.
func (p *Projection) Due(now time.Time) []Entry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []Entry
	for _, e := range p.byID {
		v := e.Vacancy
		if v.GetStatus() == eventsv1.VacancyStatus_VACANCY_STATUS_OPEN && v.GetClosesAtUnixMs() <= now.UnixMilli() {
			out = append(out, e)
		}
	}
	return out
}

// All returns every vacancy the projection holds, in no order.
func (p *Projection) All() []Entry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]Entry, 0, len(p.byID))
	for _, e := range p.byID {
		out = append(out, e)
	}
	return out
}
