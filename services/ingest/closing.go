package ingest

import (
	"context"
	"errors"
	"time"

	"github.com/clinjobs/clinjobs/pkg/bus"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// closeDue closes, every CloseEvery, the open vacancies whose closing date
// has passed, announcing each like any other change. With several replicas
// each may try; the conditional write lets one succeed and the others see
// the vacancy changed.
func (s *Service) closeDue(ctx context.Context) {
	tick := time.NewTicker(s.cfg.CloseEvery)
	defer tick.Stop()
	for {
		if err := s.projection.Check(ctx); err == nil {
			s.CloseDue(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// CloseDue closes every open vacancy whose closing time has passed now, and
// returns how many it closed.
func (s *Service) CloseDue(ctx context.Context) int {
	now := s.now()
	closed := 0
	for _, e := range s.projection.Due(now) {
		next, err := ended(e.Vacancy, eventsv1.VacancyChange_VACANCY_CHANGE_CLOSED, "", now)
		if err != nil {
			continue
		}
		next.Actor = "schedule"
		// The vacancy closed when its date passed, not when we noticed.
		next.Vacancy.ClosesAtUnixMs = e.Vacancy.GetClosesAtUnixMs()
		_, err = s.vacancies.Update(ctx, e.Vacancy.GetId(), e.Revision, next)
		switch {
		case err == nil:
			closed++
			s.log.InfoContext(ctx, "vacancy closed: its closing date passed", "vacancy", e.Vacancy.GetId())
		case errors.Is(err, bus.ErrStale):
			// Changed meanwhile (by a trust or another replica); the next
			// round sees the latest.
		default:
			s.log.WarnContext(ctx, "closing a vacancy failed; the next round tries again", "vacancy", e.Vacancy.GetId(), "err", err)
		}
	}
	return closed
}
