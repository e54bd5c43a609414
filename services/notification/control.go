package notification

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/control"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification/internal/endpoints"
)

// controlTimeout bounds the work of one control request.
const controlTimeout = 20 * time.Second

// registerControl registers the service with the NATS services framework,
// with the endpoints operators (through the dashboard) and ingest call. Any
// replica may answer: what they read is in JetStream.
func (s *Service) registerControl() (micro.Service, error) {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name: Name, Version: buildinfo.String(), Description: "alert subscriptions and deliveries",
		QueueGroup: Name,
	})
	if err != nil {
		return nil, fmt.Errorf("register notification: %w", err)
	}
	for _, e := range []struct {
		name, subject string
		h             func(context.Context, micro.Request) (any, error)
	}{
		{"alerted", "clinjobs.notification.alerted", s.ctlAlerted},
		{"candidate-export", "clinjobs.notification.candidate.export", s.ctlExport},
		{"deadletters-list", "clinjobs.notification.deadletters.list", s.ctlDeadLetters},
		{"deadletters-replay", "clinjobs.notification.deadletters.replay", s.ctlReplay},
		{"endpoints-list", "clinjobs.notification.endpoints.list", s.ctlEndpoints},
		{"endpoints-pause", "clinjobs.notification.endpoints.pause", s.ctlPause(true)},
		{"endpoints-resume", "clinjobs.notification.endpoints.resume", s.ctlPause(false)},
	} {
		h := e.h
		handler := micro.HandlerFunc(func(req micro.Request) {
			ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
			defer cancel()
			out, err := h(ctx, req)
			control.Respond(req, out, err)
		})
		if err := svc.AddEndpoint(e.name, handler, micro.WithEndpointSubject(e.subject)); err != nil {
			return nil, errors.Join(fmt.Errorf("register notification endpoint %s: %w", e.name, err), svc.Stop())
		}
	}
	return svc, nil
}

// MaxAlertedIDs bounds the vacancies of one alerted request.
const MaxAlertedIDs = 1000

// ctlAlerted counts, per vacancy, the candidates told of it on any channel.
func (s *Service) ctlAlerted(ctx context.Context, req micro.Request) (any, error) {
	var in struct {
		VacancyIDs []string `json:"vacancy_ids"`
	}
	if err := control.Decode(req, &in); err != nil {
		return nil, err
	}
	if len(in.VacancyIDs) > MaxAlertedIDs {
		return nil, problem.New(problem.Invalid, "at most %d vacancies a request", MaxAlertedIDs)
	}
	counts := make(map[string]int, len(in.VacancyIDs))
	for _, vid := range in.VacancyIDs {
		if !validToken(vid) {
			return nil, problem.New(problem.Invalid, "vacancy id %q", vid)
		}
		keys, err := s.alerts.KV().ListKeysFiltered(ctx, "*."+vid+".*")
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for k := range keys.Keys() {
			seen[k[:strings.IndexByte(k, '.')]] = true
		}
		counts[vid] = len(seen)
	}
	return map[string]any{"counts": counts}, nil
}

// validToken reports whether s can stand as one token of a subject.
func validToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n")
}

// DeliveryView is one line of a candidate's delivery log.
type DeliveryView struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	Channel        string    `json:"channel"`
	SubscriptionID string    `json:"subscription_id"`
	VacancyID      string    `json:"vacancy_id,omitempty"`
	Period         string    `json:"period,omitempty"`
	Outcome        string    `json:"outcome"`
	Reason         string    `json:"reason,omitempty"`
	Attempts       int32     `json:"attempts,omitempty"`
	At             time.Time `json:"at"`
}

// deliveries returns a candidate's delivery log, newest first: what was
// sent, and what failed for good or is held.
func (s *Service) deliveries(ctx context.Context, candidateID string) ([]DeliveryView, error) {
	out := []DeliveryView{}
	err := s.each(ctx, s.alerts, candidateID+".>", func() proto.Message { return &eventsv1.AlertDelivered{} }, func(m proto.Message) {
		r := m.(*eventsv1.AlertDelivered)
		if r.GetKind() == eventsv1.DeliveryKind_DELIVERY_KIND_DIGEST && r.GetVacancyId() != "" {
			return // a digest's vacancies are shown in its own line
		}
		out = append(out, DeliveryView{
			ID: r.GetDeliveryId(), Kind: kindName(r.GetKind()), Channel: jobs.Name(r.GetChannel()), SubscriptionID: r.GetSubscriptionId(),
			VacancyID: r.GetVacancyId(), Period: r.GetPeriod(), Outcome: "delivered", At: time.UnixMilli(r.GetDeliveredAtUnixMs()).UTC(),
		})
	})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, s.deadLetters, candidateID+".>", func() proto.Message { return &eventsv1.DeadLetter{} }, func(m proto.Message) {
		dl := m.(*eventsv1.DeadLetter)
		d := dl.GetDelivery()
		outcome := "failed"
		if dl.GetHeld() {
			outcome = "held"
		}
		out = append(out, DeliveryView{
			ID: d.GetId(), Kind: kindName(d.GetKind()), Channel: jobs.Name(d.GetChannel()), SubscriptionID: d.GetSubscriptionId(),
			VacancyID: d.GetMatch().GetVacancy().GetId(), Period: d.GetPeriod(), Outcome: outcome, Reason: dl.GetReason(),
			Attempts: dl.GetAttempts(), At: time.UnixMilli(dl.GetDeadAtUnixMs()).UTC(),
		})
	})
	slices.SortFunc(out, func(a, b DeliveryView) int { return b.At.Compare(a.At) })
	return out, err
}

// each decodes every record of store under filter.
func (s *Service) each(ctx context.Context, store *bus.Store, filter string, newRec func() proto.Message, f func(proto.Message)) error {
	keys, err := store.KV().ListKeysFiltered(ctx, filter)
	if err != nil {
		return fmt.Errorf("list %s: %w", store.Bucket(), err)
	}
	for k := range keys.Keys() {
		rec := newRec()
		if _, err := store.Get(ctx, k, rec); errors.Is(err, bus.ErrNotFound) {
			continue
		} else if err != nil {
			_ = keys.Stop()
			return err
		}
		f(rec)
	}
	return nil
}

// DeliveryLog is a candidate's delivery log, newest first.
type DeliveryLog struct {
	Deliveries []DeliveryView `json:"deliveries"`
	// Total counts every line, of which the first MaxDeliveryLog are shown.
	Total int `json:"total"`
}

// MaxDeliveryLog bounds the lines of one delivery log page.
const MaxDeliveryLog = 500

func (s *Service) deliveryLog(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	out, err := s.deliveries(c.Request.Context(), rec.GetCandidate().GetId())
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, DeliveryLog{Deliveries: out[:min(len(out), MaxDeliveryLog)], Total: len(out)})
}

// ctlExport gives ingest the candidate's subscriptions (without secrets)
// and delivery log for their data export.
func (s *Service) ctlExport(ctx context.Context, req micro.Request) (any, error) {
	var in struct {
		CandidateID string `json:"candidate_id"`
	}
	if err := control.Decode(req, &in); err != nil {
		return nil, err
	}
	if !validToken(in.CandidateID) {
		return nil, problem.New(problem.Invalid, "candidate id %q", in.CandidateID)
	}
	var list eventsv1.Subscriptions
	if _, err := s.subscriptions.Get(ctx, in.CandidateID, &list); err != nil && !errors.Is(err, bus.ErrNotFound) {
		return nil, err
	}
	subs := make([]SubscriptionView, 0, len(list.GetItems()))
	for _, sub := range list.GetItems() {
		subs = append(subs, s.viewSubscription(sub))
	}
	log, err := s.deliveries(ctx, in.CandidateID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"subscriptions": subs, "deliveries": log}, nil
}

// DeadLetterView is a dead letter as operators see it.
type DeadLetterView struct {
	ID          string    `json:"id"`
	DeliveryID  string    `json:"delivery_id"`
	CandidateID string    `json:"candidate_id"`
	VacancyID   string    `json:"vacancy_id,omitempty"`
	Kind        string    `json:"kind"`
	Channel     string    `json:"channel"`
	Endpoint    string    `json:"endpoint"`
	Reason      string    `json:"reason"`
	Attempts    int32     `json:"attempts"`
	Held        bool      `json:"held"`
	At          time.Time `json:"at"`
}

func viewDeadLetter(dl *eventsv1.DeadLetter) DeadLetterView {
	d := dl.GetDelivery()
	return DeadLetterView{
		ID: deadLetterKey(d), DeliveryID: d.GetId(), CandidateID: d.GetCandidateId(), VacancyID: d.GetMatch().GetVacancy().GetId(),
		Kind: kindName(d.GetKind()), Channel: jobs.Name(d.GetChannel()), Endpoint: dl.GetEndpoint(), Reason: dl.GetReason(),
		Attempts: dl.GetAttempts(), Held: dl.GetHeld(), At: time.UnixMilli(dl.GetDeadAtUnixMs()).UTC(),
	}
}

// allDeadLetters returns the dead letters, of one endpoint if given.
func (s *Service) allDeadLetters(ctx context.Context, endpoint string) ([]*eventsv1.DeadLetter, error) {
	var out []*eventsv1.DeadLetter
	err := s.each(ctx, s.deadLetters, ">", func() proto.Message { return &eventsv1.DeadLetter{} }, func(m proto.Message) {
		if dl := m.(*eventsv1.DeadLetter); endpoint == "" || dl.GetEndpoint() == endpoint {
			out = append(out, dl)
		}
	})
	slices.SortFunc(out, func(a, b *eventsv1.DeadLetter) int { return int(b.GetDeadAtUnixMs() - a.GetDeadAtUnixMs()) })
	return out, err
}

func (s *Service) ctlDeadLetters(ctx context.Context, req micro.Request) (any, error) {
	var in struct {
		Endpoint string `json:"endpoint"`
		Limit    int    `json:"limit"`
	}
	if err := control.Decode(req, &in); err != nil {
		return nil, err
	}
	if in.Limit <= 0 || in.Limit > 1000 {
		in.Limit = 100
	}
	all, err := s.allDeadLetters(ctx, in.Endpoint)
	if err != nil {
		return nil, err
	}
	views := make([]DeadLetterView, 0, min(len(all), in.Limit))
	for _, dl := range all[:min(len(all), in.Limit)] {
		views = append(views, viewDeadLetter(dl))
	}
	return map[string]any{"dead_letters": views, "total": len(all)}, nil
}

// ctlReplay sends dead letters again: one by id, or every one of an
// endpoint. The alerts record still stands guard, so a replay of something
// that did arrive sends nothing.
func (s *Service) ctlReplay(ctx context.Context, req micro.Request) (any, error) {
	var in struct {
		ID       string `json:"id"`
		Endpoint string `json:"endpoint"`
	}
	if err := control.Decode(req, &in); err != nil {
		return nil, err
	}
	var letters []*eventsv1.DeadLetter
	switch {
	case in.ID != "":
		var dl eventsv1.DeadLetter
		if _, err := s.deadLetters.Get(ctx, in.ID, &dl); errors.Is(err, bus.ErrNotFound) {
			return nil, problem.New(problem.NotFound, "no dead letter %s", in.ID)
		} else if err != nil {
			return nil, err
		}
		letters = append(letters, &dl)
	case in.Endpoint != "":
		var err error
		if letters, err = s.allDeadLetters(ctx, in.Endpoint); err != nil {
			return nil, err
		}
	default:
		return nil, problem.New(problem.Invalid, "give the id of a dead letter or an endpoint")
	}
	n, err := s.replay(ctx, letters)
	return map[string]any{"replayed": n}, err
}

func (s *Service) replay(ctx context.Context, letters []*eventsv1.DeadLetter) (int, error) {
	n := 0
	for _, dl := range letters {
		d := dl.GetDelivery()
		// A fresh start on the schedule, from now.
		d.CreatedAtUnixMs = s.now().UnixMilli()
		_ = s.states.Erase(ctx, d.GetId())
		_, err := s.pub.Publish(ctx, bus.Message{
			Subject: "deliveries." + jobs.Name(d.GetChannel()) + "." + d.GetSubscriptionId(),
			ID:      fmt.Sprintf("replay.%s.%d", d.GetId(), s.now().UnixNano()), Body: d,
		})
		if err != nil {
			return n, err
		}
		if err := s.deadLetters.Erase(ctx, deadLetterKey(d)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// EndpointView is an endpoint as operators see it.
type EndpointView struct {
	Endpoint    string `json:"endpoint"`
	Paused      bool   `json:"paused"`
	DeadLetters int    `json:"dead_letters"`
	Held        int    `json:"held"`
	// The answering replica's view of the endpoint's traffic.
	endpoints.Status
}

func (s *Service) ctlEndpoints(ctx context.Context, _ micro.Request) (any, error) {
	byName := map[string]*EndpointView{}
	get := func(ep string) *EndpointView {
		if byName[ep] == nil {
			byName[ep] = &EndpointView{Endpoint: ep}
		}
		return byName[ep]
	}
	s.pausedMu.RLock()
	for ep, paused := range s.paused {
		get(ep).Paused = paused
	}
	s.pausedMu.RUnlock()
	for _, st := range s.guard.Statuses() {
		get(st.Endpoint).Status = st
	}
	letters, err := s.allDeadLetters(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, dl := range letters {
		if dl.GetHeld() {
			get(dl.GetEndpoint()).Held++
		} else {
			get(dl.GetEndpoint()).DeadLetters++
		}
	}
	out := make([]EndpointView, 0, len(byName))
	for _, v := range byName {
		v.Status.Endpoint = v.Endpoint
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b EndpointView) int { return strings.Compare(a.Endpoint, b.Endpoint) })
	return map[string]any{"endpoints": out}, nil
}

// ctlPause pauses or resumes deliveries to an endpoint. A paused endpoint's
// deliveries are held as dead letters; resuming replays them.
func (s *Service) ctlPause(pause bool) func(context.Context, micro.Request) (any, error) {
	return func(ctx context.Context, req micro.Request) (any, error) {
		var in struct {
			Endpoint string `json:"endpoint"`
		}
		if err := control.Decode(req, &in); err != nil {
			return nil, err
		}
		if in.Endpoint == "" || len(in.Endpoint) > 300 {
			return nil, problem.New(problem.Invalid, "give the endpoint (a webhook's host, smtp or live)")
		}
		st := &eventsv1.EndpointState{Endpoint: in.Endpoint, Paused: pause,
			ChangedBy: req.Headers().Get(control.HeaderActor), ChangedAtUnixMs: s.now().UnixMilli()}
		data, err := bus.Encode(st)
		if err != nil {
			return nil, err
		}
		if _, err := s.endpointStates.KV().Put(ctx, endpointKey(in.Endpoint), data); err != nil {
			return nil, fmt.Errorf("store the state of %s: %w", in.Endpoint, err)
		}
		s.setPaused(in.Endpoint, pause)
		out := map[string]any{"endpoint": in.Endpoint, "paused": pause}
		if !pause {
			held, err := s.allDeadLetters(ctx, in.Endpoint)
			if err != nil {
				return out, err
			}
			held = slices.DeleteFunc(held, func(dl *eventsv1.DeadLetter) bool { return !dl.GetHeld() })
			n, err := s.replay(ctx, held)
			out["replayed"] = n
			return out, err
		}
		return out, nil
	}
}

func (s *Service) setPaused(endpoint string, paused bool) {
	s.pausedMu.Lock()
	defer s.pausedMu.Unlock()
	if paused {
		s.paused[endpoint] = true
	} else {
		delete(s.paused, endpoint)
	}
}

func (s *Service) isPaused(endpoint string) bool {
	s.pausedMu.RLock()
	defer s.pausedMu.RUnlock()
	return s.paused[endpoint]
}

// watchEndpoints keeps every replica's view of paused endpoints current.
func (s *Service) watchEndpoints(ctx context.Context) error {
	w, err := s.endpointStates.KV().WatchAll(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("watch endpoints: %w", err)
	}
	s.watcher = w
	ready := make(chan struct{})
	go func() {
		for e := range w.Updates() {
			if e == nil {
				close(ready)
				continue
			}
			var st eventsv1.EndpointState
			if e.Operation() != jetstream.KeyValuePut || proto.Unmarshal(e.Value(), &st) != nil {
				continue
			}
			s.setPaused(st.GetEndpoint(), st.GetPaused())
		}
	}()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return errors.New("watch endpoints: no initial state in 30s")
	}
}
