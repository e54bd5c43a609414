package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/micro"

	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/control"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// registerControl registers the service with the NATS services framework,
// with the endpoints operators reach through the dashboard. Any replica may
// answer (queue group "ingest").
func (s *Service) registerControl() (micro.Service, error) {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name: Name, Version: buildinfo.String(), Description: "write API: trusts, vacancies, candidate profiles",
		QueueGroup: Name,
	})
	if err != nil {
		return nil, fmt.Errorf("register ingest: %w", err)
	}
	endpoints := []struct {
		name, subject string
		h             micro.HandlerFunc
	}{
		{"trusts-create", "clinjobs.ingest.trusts.create", s.ctlCreateTrust},
		{"trusts-list", "clinjobs.ingest.trusts.list", s.ctlListTrusts},
		{"keys-issue", "clinjobs.ingest.trusts.keys.issue", s.ctlIssueKey},
		{"keys-revoke", "clinjobs.ingest.trusts.keys.revoke", s.ctlRevokeKey},
		{"vacancies-withdraw", "clinjobs.ingest.vacancies.withdraw", s.ctlWithdraw},
		{"imports-runs", "clinjobs.ingest.imports.runs", s.ctlImportRuns},
	}
	for _, e := range endpoints {
		if err := svc.AddEndpoint(e.name, e.h, micro.WithEndpointSubject(e.subject)); err != nil {
			return nil, errors.Join(fmt.Errorf("register ingest endpoint %s: %w", e.name, err), svc.Stop())
		}
	}
	return svc, nil
}

func (s *Service) ctlCreateTrust(req micro.Request) {
	var in TrustInput
	if err := control.Decode(req, &in); err != nil {
		control.Respond(req, nil, err)
		return
	}
	out, err := s.onboard(context.Background(), in)
	s.audit(req, "trust.create", in.Code, err)
	control.Respond(req, out, err)
}

func (s *Service) ctlListTrusts(req micro.Request) {
	out, err := s.allTrusts(context.Background())
	control.Respond(req, out, err)
}

func (s *Service) ctlIssueKey(req micro.Request) {
	var in struct {
		Code  string `json:"code"`
		Label string `json:"label"`
	}
	if err := control.Decode(req, &in); err != nil {
		control.Respond(req, nil, err)
		return
	}
	out, err := s.issue(context.Background(), in.Code, in.Label)
	s.audit(req, "trust.key.issue", in.Code, err)
	control.Respond(req, out, err)
}

func (s *Service) ctlRevokeKey(req micro.Request) {
	var in struct {
		Code  string `json:"code"`
		KeyID string `json:"key_id"`
	}
	if err := control.Decode(req, &in); err != nil {
		control.Respond(req, nil, err)
		return
	}
	err := s.revoke(context.Background(), in.Code, in.KeyID)
	s.audit(req, "trust.key.revoke", in.Code+"/"+in.KeyID, err)
	control.Respond(req, struct{}{}, err)
}

// ctlWithdraw withdraws any trust's vacancy: moderation by an operator.
func (s *Service) ctlWithdraw(req micro.Request) {
	var in struct {
		VacancyID string `json:"vacancy_id"`
		Reason    string `json:"reason"`
	}
	if err := control.Decode(req, &in); err != nil {
		control.Respond(req, nil, err)
		return
	}
	v, err := s.moderate(context.Background(), in.VacancyID, in.Reason, req.Headers().Get(control.HeaderActor))
	s.audit(req, "vacancy.withdraw", in.VacancyID, err)
	control.Respond(req, map[string]any{"vacancy": v}, err)
}

func (s *Service) moderate(ctx context.Context, id, reason, actor string) (*jobs.VacancyView, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	var rec eventsv1.VacancyChanged
	rev, err := s.vacancies.Get(ctx, id, &rec)
	if errors.Is(err, bus.ErrNotFound) {
		return nil, problem.New(problem.NotFound, "no vacancy %s", id)
	}
	if err != nil {
		return nil, err
	}
	next, err := ended(rec.GetVacancy(), eventsv1.VacancyChange_VACANCY_CHANGE_WITHDRAWN, strings.TrimSpace(reason), s.now())
	if err != nil {
		return nil, err
	}
	next.Actor = "operator: " + actor
	if _, err := s.vacancies.Update(ctx, id, rev, next); err != nil {
		if errors.Is(err, bus.ErrStale) {
			err = problem.New(problem.Conflict, "vacancy %s changed meanwhile; try again", id)
		}
		return nil, err
	}
	v := jobs.ViewVacancy(next.GetVacancy())
	return &v, nil
}

// audit logs what an operator did through the control endpoints; the
// dashboard keeps the audit log proper.
func (s *Service) audit(req micro.Request, action, target string, err error) {
	s.log.Info("operator action", "action", action, "target", target,
		"actor", req.Headers().Get(control.HeaderActor), "ok", err == nil)
}

// ctlImportRuns answers the importer's runs, for the dashboard. A replica
// without the importer answers that it is off.
func (s *Service) ctlImportRuns(req micro.Request) {
	out := ImportRuns{Runs: []ImportRun{}}
	if s.importer != nil {
		out = s.importer.Runs()
	}
	control.Respond(req, out, nil)
}
