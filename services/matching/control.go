package matching

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/micro"

	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/control"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// registerControl registers the service with the NATS services framework.
// Its endpoints have no queue group: every replica answers for the
// partitions it owns, and the asker gathers the answers (pkg/control).
func (s *Service) registerControl() (micro.Service, error) {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name: Name, Version: buildinfo.String(), Description: "matches vacancies and candidates; serves match lists",
		Metadata: map[string]string{"partitions": s.cfg.Partitions.String(), "cache": s.cacheName},
	})
	if err != nil {
		return nil, fmt.Errorf("register matching: %w", err)
	}
	// Each replica is its own queue group, so that every replica gets
	// every request.
	group := micro.WithEndpointQueueGroup(Name + "-" + s.cfg.Partitions.String())
	for _, e := range []struct {
		name, subject string
		h             micro.HandlerFunc
	}{
		{"counts", "clinjobs.matching.counts", s.ctlCounts},
		{"cache-rebuild", "clinjobs.matching.cache.rebuild", s.ctlRebuildCache},
		{"candidate-export", "clinjobs.matching.candidate.export", s.ctlExport},
		{"market", "clinjobs.matching.market", s.ctlMarket},
	} {
		if err := svc.AddEndpoint(e.name, e.h, micro.WithEndpointSubject(e.subject), group); err != nil {
			return nil, errors.Join(fmt.Errorf("register matching endpoint %s: %w", e.name, err), svc.Stop())
		}
	}
	return svc, nil
}

// MaxCountIDs bounds the vacancies of one counts request.
const MaxCountIDs = 50_000

// ctlCounts counts, for each vacancy asked about, the candidates of this
// replica's partitions it matches; with "any", only whether any does, which
// is much cheaper (for "vacancies no candidate fits").
func (s *Service) ctlCounts(req micro.Request) {
	var in struct {
		VacancyIDs []string `json:"vacancy_ids"`
		Any        bool     `json:"any"`
	}
	if err := control.Decode(req, &in); err != nil {
		control.Respond(req, nil, err)
		return
	}
	if len(in.VacancyIDs) > MaxCountIDs {
		control.Respond(req, nil, problem.New(problem.Invalid, "at most %d vacancies a request", MaxCountIDs))
		return
	}
	limit := 0
	if in.Any {
		limit = 1
	}
	now := s.now()
	counts := make(map[string]int, len(in.VacancyIDs))
	for _, id := range in.VacancyIDs {
		if v, ok := s.index.Vacancy(id); ok {
			counts[id] = s.index.CountVacancy(v, now, limit)
		} else {
			counts[id] = 0
		}
	}
	control.Respond(req, map[string]any{"partitions": s.cfg.Partitions.String(), "counts": counts}, nil)
}

// ctlRebuildCache drops this replica's partitions of the cache; lists are
// recomputed from the index as they are read.
func (s *Service) ctlRebuildCache(req micro.Request) {
	if err := s.cache.Flush(context.Background()); err != nil {
		control.Respond(req, nil, problem.Wrap(problem.Unavailable, err, "the match cache cannot be reached"))
		return
	}
	s.dirty.Store(false)
	n, _ := s.index.Sizes()
	s.log.Info("match cache rebuilt on request", "actor", req.Headers().Get(control.HeaderActor))
	control.Respond(req, map[string]any{"partitions": s.cfg.Partitions.String(), "candidates": n}, nil)
}

// ctlExport gives a candidate's matches for their export: answered by the
// owner of their partition only.
func (s *Service) ctlExport(req micro.Request) {
	var in struct {
		CandidateID string `json:"candidate_id"`
	}
	if err := control.Decode(req, &in); err != nil || !s.cfg.Partitions.Owns(partition.Of(in.CandidateID)) {
		return
	}
	cand, _, ok := s.index.Candidate(in.CandidateID)
	type exported struct {
		VacancyID string   `json:"vacancy_id"`
		Title     string   `json:"title"`
		Score     int      `json:"score"`
		Reasons   []string `json:"reasons"`
	}
	out := []exported{}
	if ok {
		list, _ := s.matches(context.Background(), cand, 0, 1000)
		for _, m := range list.Matches {
			out = append(out, exported{VacancyID: m.Vacancy.ID, Title: m.Vacancy.Title, Score: m.Score, Reasons: m.Reasons})
		}
	}
	control.Respond(req, map[string]any{"matches": out}, nil)
}

// ctlMarket counts this replica's candidates by the role families they want.
func (s *Service) ctlMarket(req micro.Request) {
	byFamily := map[string]int{}
	ids := s.index.CandidateIDs()
	for _, id := range ids {
		c, _, ok := s.index.Candidate(id)
		if !ok {
			continue
		}
		for _, f := range c.GetRoleFamilies() {
			if f != eventsv1.RoleFamily_ROLE_FAMILY_UNSPECIFIED {
				byFamily[jobs.Name(f)]++
			}
		}
	}
	control.Respond(req, map[string]any{
		"partitions": s.cfg.Partitions.String(), "candidates": len(ids), "candidates_by_role_family": byFamily,
	}, nil)
}
