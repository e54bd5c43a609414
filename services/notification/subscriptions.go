package notification

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/webhook"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

type subscriptionInput struct {
	Channel string `json:"channel"`
	URL     string `json:"url,omitempty"`
	Rhythm  string `json:"rhythm,omitempty"`
}

type subscriptionView struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	URL       string    `json:"url,omitempty"`
	Rhythm    string    `json:"rhythm"`
	Paused    bool      `json:"paused"`
	CreatedAt time.Time `json:"created_at"`
}

func viewSubscription(s *eventsv1.Subscription) subscriptionView {
	return subscriptionView{
		ID: s.GetId(), Channel: jobs.Name(s.GetChannel()), URL: s.GetUrl(), Rhythm: jobs.Name(s.GetRhythm()),
		Paused: s.GetPaused(), CreatedAt: time.UnixMilli(s.GetCreatedAtUnixMs()).UTC(),
	}
}

// MaxSubscriptions bounds a candidate's subscriptions.
const MaxSubscriptions = 10

// subscribe adds a subscription; a webhook's signing secret is shown once.
func (s *Service) subscribe(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	var in subscriptionInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var fields []problem.FieldError
	channel, ok := jobs.Parse[eventsv1.Channel](in.Channel)
	if !ok || channel != eventsv1.Channel_CHANNEL_WEBHOOK {
		fields = append(fields, problem.FieldError{Field: "/channel", Detail: "must be webhook"})
	}
	rhythm := eventsv1.Rhythm_RHYTHM_INSTANT
	if in.Rhythm != "" {
		if r, ok := jobs.Parse[eventsv1.Rhythm](in.Rhythm); !ok || r != eventsv1.Rhythm_RHYTHM_INSTANT {
			fields = append(fields, problem.FieldError{Field: "/rhythm", Detail: "must be instant"})
		}
	}
	if channel == eventsv1.Channel_CHANNEL_WEBHOOK {
		if err := webhook.CheckURL(ctx, in.URL, s.cfg.AllowPrivateWebhooks, nil); err != nil {
			fields = append(fields, problem.FieldError{Field: "/url", Detail: err.Error()})
		}
	}
	if err := problem.Fields(fields); err != nil {
		httpserver.Fail(c, err)
		return
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	now := s.now()
	sub := &eventsv1.Subscription{
		Id: ids.New("s"), CandidateId: rec.GetCandidate().GetId(), Channel: channel, Url: in.URL, Secret: secret,
		Rhythm: rhythm, CreatedAtUnixMs: now.UnixMilli(), UpdatedAtUnixMs: now.UnixMilli(),
	}
	err = s.editSubscriptions(ctx, sub.GetCandidateId(), func(list *eventsv1.Subscriptions) error {
		if len(list.GetItems()) >= MaxSubscriptions {
			return problem.New(problem.Conflict, "a candidate may hold %d subscriptions", MaxSubscriptions)
		}
		list.Items = append(list.Items, sub)
		return nil
	})
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("Location", "/v1/candidates/"+sub.GetCandidateId()+"/subscriptions/"+sub.GetId())
	c.JSON(http.StatusCreated, gin.H{"subscription": viewSubscription(sub), "secret": secret})
}

func (s *Service) listSubscriptions(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	var list eventsv1.Subscriptions
	if _, err := s.subscriptions.Get(c.Request.Context(), rec.GetCandidate().GetId(), &list); err != nil && !errors.Is(err, bus.ErrNotFound) {
		httpserver.Fail(c, err)
		return
	}
	out := make([]subscriptionView, 0, len(list.GetItems()))
	for _, sub := range list.GetItems() {
		out = append(out, viewSubscription(sub))
	}
	c.JSON(http.StatusOK, gin.H{"subscriptions": out})
}

func (s *Service) unsubscribe(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	sid := c.Param("sid")
	err := s.editSubscriptions(c.Request.Context(), rec.GetCandidate().GetId(), func(list *eventsv1.Subscriptions) error {
		n := len(list.Items)
		list.Items = slices.DeleteFunc(list.Items, func(sub *eventsv1.Subscription) bool { return sub.GetId() == sid })
		if len(list.Items) == n {
			return problem.New(problem.NotFound, "no subscription %s", sid)
		}
		return nil
	})
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// editSubscriptions applies edit to a candidate's list and stores it, trying
// again from the latest list if another writer got there first.
func (s *Service) editSubscriptions(ctx context.Context, candidateID string, edit func(*eventsv1.Subscriptions) error) error {
	for range 5 {
		var list eventsv1.Subscriptions
		rev, err := s.subscriptions.Get(ctx, candidateID, &list)
		if err != nil && !errors.Is(err, bus.ErrNotFound) {
			return err
		}
		if err := edit(&list); err != nil {
			return err
		}
		if rev == 0 {
			_, err = s.subscriptions.Create(ctx, candidateID, "subscriptions."+candidateID+"."+ids.New(""), &list)
		} else {
			_, err = s.subscriptions.Update(ctx, candidateID, rev, &list)
		}
		if !errors.Is(err, bus.ErrStale) && !errors.Is(err, bus.ErrExists) {
			return err
		}
	}
	return fmt.Errorf("edit subscriptions of %s: %w", candidateID, problem.New(problem.Conflict, "the subscriptions changed under us; try again"))
}
