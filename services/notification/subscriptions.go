package notification

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/webhook"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// SubscriptionInput is a subscription as a candidate makes it.
type SubscriptionInput struct {
	Channel string `json:"channel"`
	// URL is a webhook's, and only a webhook has one.
	URL string `json:"url,omitempty" api:"format=uri"`
	SubscriptionChange
}

// SubscriptionChange is what a PATCH may change: every field left out keeps
// its value; channel and url cannot change (a new subscription can have
// others), so its document has neither.
type SubscriptionChange struct {
	// Rhythm is instant (the default), daily or weekly.
	Rhythm string `json:"rhythm,omitempty"`
	// Hour (0-23, Europe/London) of a digest. Default: 8.
	Hour *int `json:"hour,omitempty" api:"min=0,max=23"`
	// Weekday of a weekly digest: monday to sunday. Default: monday.
	Weekday      string   `json:"weekday,omitempty"`
	RoleFamilies []string `json:"role_families,omitempty"`
	Specialisms  []string `json:"specialisms,omitempty"`
	MinBand      string   `json:"min_band,omitempty"`
	// Reminders of vacancies about to close. Default: true.
	Reminders *bool `json:"reminders,omitempty"`
}

// SubscriptionView is a subscription as the API shows it; the webhook
// secret is shown only once, when it is made.
type SubscriptionView struct {
	ID           string    `json:"id"`
	Channel      string    `json:"channel"`
	URL          string    `json:"url,omitempty"`
	Rhythm       string    `json:"rhythm"`
	Hour         *int      `json:"hour,omitempty"`
	Weekday      string    `json:"weekday,omitempty"`
	RoleFamilies []string  `json:"role_families"`
	Specialisms  []string  `json:"specialisms"`
	MinBand      string    `json:"min_band,omitempty"`
	Reminders    bool      `json:"reminders"`
	Paused       bool      `json:"paused"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// NextDigest is when the next digest is due.
	NextDigest *time.Time `json:"next_digest,omitempty"`
}

func (s *Service) viewSubscription(sub *eventsv1.Subscription) SubscriptionView {
	v := SubscriptionView{
		ID: sub.GetId(), Channel: jobs.Name(sub.GetChannel()), URL: sub.GetUrl(), Rhythm: jobs.Name(sub.GetRhythm()),
		RoleFamilies: jobs.NamesOf(sub.GetRoleFamilies()), Specialisms: jobs.NamesOf(sub.GetSpecialisms()),
		MinBand: jobs.Name(sub.GetMinBand()), Reminders: !sub.GetNoReminders(), Paused: sub.GetPaused(),
		CreatedAt: time.UnixMilli(sub.GetCreatedAtUnixMs()).UTC(), UpdatedAt: time.UnixMilli(sub.GetUpdatedAtUnixMs()).UTC(),
	}
	if sub.GetRhythm() != eventsv1.Rhythm_RHYTHM_INSTANT {
		h := int(sub.GetHour())
		v.Hour = &h
		next := s.nextDigest(sub, s.now()).UTC()
		v.NextDigest = &next
	}
	if sub.GetRhythm() == eventsv1.Rhythm_RHYTHM_WEEKLY {
		v.Weekday = weekdays[sub.GetWeekday()]
	}
	return v
}

// SubscriptionAnswer is one subscription; Secret, a webhook's signing
// secret, only when it is made.
type SubscriptionAnswer struct {
	Subscription SubscriptionView `json:"subscription"`
	Secret       string           `json:"secret,omitempty"`
}

// SubscriptionList is a candidate's subscriptions.
type SubscriptionList struct {
	Subscriptions []SubscriptionView `json:"subscriptions"`
}

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// MaxSubscriptions bounds a candidate's subscriptions.
const MaxSubscriptions = 10

// DefaultDigestHour is when digests go unless the candidate says.
const DefaultDigestHour = 8

// apply checks in and writes it onto sub; creating says whether the
// channel and URL are being set.
func (s *Service) apply(ctx context.Context, sub *eventsv1.Subscription, in SubscriptionInput, creating bool) error {
	var fields []problem.FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, problem.FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
	}
	if creating {
		channel, ok := jobs.Parse[eventsv1.Channel](in.Channel)
		switch {
		case !ok:
			bad("/channel", "must be one of webhook, email, sse")
		case channel == eventsv1.Channel_CHANNEL_WEBHOOK:
			if err := webhook.CheckURL(ctx, in.URL, s.cfg.AllowPrivateWebhooks, s.resolver); err != nil {
				bad("/url", "%s", err)
			}
		case in.URL != "":
			bad("/url", "only a webhook has a URL")
		case channel == eventsv1.Channel_CHANNEL_EMAIL && s.mailer == nil:
			bad("/channel", "email is not available on this system")
		}
		sub.Channel, sub.Url = channel, in.URL
		sub.Rhythm, sub.Hour, sub.Weekday = eventsv1.Rhythm_RHYTHM_INSTANT, DefaultDigestHour, int32(time.Monday)
	} else if in.Channel != "" || in.URL != "" {
		bad("/channel", "a subscription's channel and URL cannot change: make a new one")
	}
	if in.Rhythm != "" {
		if r, ok := jobs.Parse[eventsv1.Rhythm](in.Rhythm); ok {
			sub.Rhythm = r
		} else {
			bad("/rhythm", "must be one of instant, daily, weekly")
		}
	}
	if sub.GetChannel() == eventsv1.Channel_CHANNEL_SSE && sub.GetRhythm() != eventsv1.Rhythm_RHYTHM_INSTANT {
		bad("/rhythm", "a live stream is instant")
	}
	if in.Hour != nil {
		if *in.Hour < 0 || *in.Hour > 23 {
			bad("/hour", "must be 0 to 23 (Europe/London)")
		} else {
			sub.Hour = int32(*in.Hour)
		}
	}
	if in.Weekday != "" {
		if i := slices.Index(weekdays, in.Weekday); i >= 0 {
			sub.Weekday = int32(i)
		} else {
			bad("/weekday", "must be monday to sunday")
		}
	}
	// An empty list clears a filter; a list is held to what a profile's is
	// (no repeats, no more entries than values), so that a subscription
	// cannot grow past its use.
	if in.RoleFamilies != nil {
		var errs []problem.FieldError
		sub.RoleFamilies, errs = jobs.ParseList[eventsv1.RoleFamily]("/role_families", in.RoleFamilies)
		fields = append(fields, errs...)
	}
	if in.Specialisms != nil {
		var errs []problem.FieldError
		sub.Specialisms, errs = jobs.ParseList[eventsv1.Specialism]("/specialisms", in.Specialisms)
		fields = append(fields, errs...)
	}
	if in.MinBand != "" {
		if v, ok := jobs.Parse[eventsv1.Band](in.MinBand); ok {
			sub.MinBand = v
		} else {
			bad("/min_band", "unknown band %q", in.MinBand)
		}
	}
	if in.Reminders != nil {
		sub.NoReminders = !*in.Reminders
	}
	return problem.Fields(fields)
}

// subscribe adds a subscription; a webhook's signing secret is shown once.
func (s *Service) subscribe(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	var in SubscriptionInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	ctx := c.Request.Context()
	now := s.now()
	sub := &eventsv1.Subscription{
		Id: ids.New("s"), CandidateId: rec.GetCandidate().GetId(),
		CreatedAtUnixMs: now.UnixMilli(), UpdatedAtUnixMs: now.UnixMilli(),
	}
	if err := s.apply(ctx, sub, in, true); err != nil {
		httpserver.Fail(c, err)
		return
	}
	if sub.GetChannel() == eventsv1.Channel_CHANNEL_WEBHOOK {
		secret, err := webhook.NewSecret()
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		sub.Secret = secret
	}
	err := s.editSubscriptions(ctx, sub.GetCandidateId(), func(list *eventsv1.Subscriptions) error {
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
	c.JSON(http.StatusCreated, SubscriptionAnswer{Subscription: s.viewSubscription(sub), Secret: sub.GetSecret()})
}

func (s *Service) listSubscriptions(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	var list eventsv1.Subscriptions
	if _, err := s.subscriptions.Get(c.Request.Context(), rec.GetCandidate().GetId(), &list); err != nil && !errors.Is(err, bus.ErrNotFound) {
		httpserver.Fail(c, err)
		return
	}
	out := make([]SubscriptionView, 0, len(list.GetItems()))
	for _, sub := range list.GetItems() {
		out = append(out, s.viewSubscription(sub))
	}
	c.JSON(http.StatusOK, SubscriptionList{Subscriptions: out})
}

func (s *Service) getSubscription(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	sub, err := s.subscription(c.Request.Context(), rec.GetCandidate().GetId(), c.Param("sid"))
	if errors.Is(err, bus.ErrNotFound) {
		err = problem.New(problem.NotFound, "no subscription %s", c.Param("sid"))
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, SubscriptionAnswer{Subscription: s.viewSubscription(sub)})
}

// changeSubscription edits one subscription in place.
func (s *Service) changeSubscription(c *gin.Context) {
	var in SubscriptionChange
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	s.editOne(c, func(sub *eventsv1.Subscription) error {
		return s.apply(c.Request.Context(), sub, SubscriptionInput{SubscriptionChange: in}, false)
	})
}

func (s *Service) pauseSubscription(c *gin.Context) {
	s.editOne(c, func(sub *eventsv1.Subscription) error { sub.Paused = true; return nil })
}

func (s *Service) resumeSubscription(c *gin.Context) {
	s.editOne(c, func(sub *eventsv1.Subscription) error { sub.Paused = false; return nil })
}

func (s *Service) editOne(c *gin.Context, edit func(*eventsv1.Subscription) error) {
	rec, _ := auth.CandidateOf(c)
	sid := c.Param("sid")
	var changed *eventsv1.Subscription
	err := s.editSubscriptions(c.Request.Context(), rec.GetCandidate().GetId(), func(list *eventsv1.Subscriptions) error {
		i := slices.IndexFunc(list.GetItems(), func(sub *eventsv1.Subscription) bool { return sub.GetId() == sid })
		if i < 0 {
			return problem.New(problem.NotFound, "no subscription %s", sid)
		}
		if err := edit(list.Items[i]); err != nil {
			return err
		}
		list.Items[i].UpdatedAtUnixMs = s.now().UnixMilli()
		changed = list.Items[i]
		return nil
	})
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, SubscriptionAnswer{Subscription: s.viewSubscription(changed)})
}

func (s *Service) unsubscribe(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	if err := s.removeSubscription(c.Request.Context(), rec.GetCandidate().GetId(), c.Param("sid")); err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// removeSubscription deletes a subscription and what waits for it: its
// digest lines and its deliveries not yet sent.
func (s *Service) removeSubscription(ctx context.Context, candidateID, sid string) error {
	var gone *eventsv1.Subscription
	err := s.editSubscriptions(ctx, candidateID, func(list *eventsv1.Subscriptions) error {
		i := slices.IndexFunc(list.GetItems(), func(sub *eventsv1.Subscription) bool { return sub.GetId() == sid })
		if i < 0 {
			return problem.New(problem.NotFound, "no subscription %s", sid)
		}
		gone = list.Items[i]
		list.Items = slices.Delete(list.Items, i, i+1)
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.eraseKeys(ctx, s.digests, candidateID+"."+sid+".>"); err != nil {
		return err
	}
	return s.purgeSubject(ctx, StreamDeliveries, deliverySubject(gone))
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

// eraseKeys purges every key of store matching filter.
func (s *Service) eraseKeys(ctx context.Context, store *bus.Store, filter string) error {
	keys, err := store.KV().ListKeysFiltered(ctx, filter)
	if err != nil {
		return fmt.Errorf("list %s %s: %w", store.Bucket(), filter, err)
	}
	for k := range keys.Keys() {
		if err := store.Erase(ctx, k); err != nil {
			_ = keys.Stop()
			return err
		}
	}
	return nil
}

// purgeSubject removes a subject's messages from a stream.
func (s *Service) purgeSubject(ctx context.Context, stream, subject string) error {
	st, err := s.js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("purge %s of %s: %w", subject, stream, err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
		return fmt.Errorf("purge %s of %s: %w", subject, stream, err)
	}
	return nil
}
