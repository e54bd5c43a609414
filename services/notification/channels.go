package notification

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
	"github.com/clinjobs/clinjobs/pkg/webhook"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification/mail"
)

// Endpoint names for the channels without a host of their own.
const (
	endpointEmail = "smtp"
	endpointLive  = "live"
)

// endpointOf names where a subscription's deliveries go, for the limits,
// circuits and operators' pauses: a webhook's host and port, or the
// channel.
func endpointOf(sub *eventsv1.Subscription) string {
	switch sub.GetChannel() {
	case eventsv1.Channel_CHANNEL_EMAIL:
		return endpointEmail
	case eventsv1.Channel_CHANNEL_SSE:
		return endpointLive
	}
	u, err := url.Parse(sub.GetUrl())
	if err != nil {
		return "webhook"
	}
	return strings.ToLower(u.Host)
}

var endpointKeyEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// endpointKey is an endpoint's key in its bucket: host names hold
// characters keys may not.
func endpointKey(endpoint string) string { return endpointKeyEnc.EncodeToString([]byte(endpoint)) }

// Payload is what every channel tells, in the Standard Webhooks shape: a
// type, a timestamp and the data.
type Payload struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      PayloadData `json:"data"`
}

// PayloadData is an alert's news.
type PayloadData struct {
	CandidateID string       `json:"candidate_id"`
	Period      string       `json:"period,omitempty"`
	Matches     []AlertMatch `json:"matches"`
}

// AlertMatch is one vacancy and why it fits.
type AlertMatch struct {
	Vacancy    jobs.SummaryView `json:"vacancy"`
	Score      int32            `json:"score"`
	DistanceKm float64          `json:"distance_km"`
	Reasons    []string         `json:"reasons"`
}

// The payload types.
const (
	TypeMatched     = "vacancy.matched"
	TypeDigest      = "vacancy.digest"
	TypeClosingSoon = "vacancy.closing_soon"
)

func (s *Service) payload(d *eventsv1.Delivery) Payload {
	p := Payload{Type: TypeMatched, Timestamp: time.UnixMilli(d.GetCreatedAtUnixMs()).UTC(),
		Data: PayloadData{CandidateID: d.GetCandidateId(), Period: d.GetPeriod()}}
	items := d.GetItems()
	switch d.GetKind() {
	case eventsv1.DeliveryKind_DELIVERY_KIND_DIGEST:
		p.Type = TypeDigest
	case eventsv1.DeliveryKind_DELIVERY_KIND_CLOSING_SOON:
		p.Type = TypeClosingSoon
		items = []*eventsv1.MatchFound{d.GetMatch()}
	default:
		items = []*eventsv1.MatchFound{d.GetMatch()}
	}
	for _, m := range items {
		p.Data.Matches = append(p.Data.Matches, AlertMatch{
			Vacancy: jobs.ViewSummary(m.GetVacancy()), Score: m.GetScore(), DistanceKm: m.GetDistanceKm(), Reasons: m.GetReasons(),
		})
	}
	return p
}

// send delivers d on sub's channel.
func (s *Service) send(ctx context.Context, sub *eventsv1.Subscription, d *eventsv1.Delivery) error {
	p := s.payload(d)
	switch sub.GetChannel() {
	case eventsv1.Channel_CHANNEL_WEBHOOK:
		return s.post(ctx, sub, d, p)
	case eventsv1.Channel_CHANNEL_EMAIL:
		return s.email(ctx, sub, d, p)
	case eventsv1.Channel_CHANNEL_SSE:
		return s.publishLive(ctx, d, p)
	}
	return permanent{fmt.Errorf("subscription %s has no channel", sub.GetId())}
}

// post sends the signed alert; any answer but 2xx is a failure to retry.
func (s *Service) post(ctx context.Context, sub *eventsv1.Subscription, d *eventsv1.Delivery, p Payload) error {
	body, err := json.Marshal(p)
	if err != nil {
		return permanent{err}
	}
	secret, err := webhook.ParseSecret(sub.GetSecret())
	if err != nil {
		return permanent{fmt.Errorf("subscription %s: %w", sub.GetId(), err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.GetUrl(), bytes.NewReader(body))
	if err != nil {
		return permanent{err}
	}
	req.Header = webhook.Headers(secret, d.GetId(), s.now(), body)
	req.Header.Set("User-Agent", "clinjobs-notification")
	// The trace that began with the posting request reaches the receiver.
	telemetry.InjectHTTP(ctx, req.Header)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusGone:
		return errGone
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		err := fmt.Errorf("webhook answered %s", resp.Status)
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), s.now()); ok {
			return retryLater{err, min(d, MaxRetryAfter)}
		}
		return err
	}
	return fmt.Errorf("webhook answered %s", resp.Status)
}

// MaxRetryAfter caps the wait a receiver asks for with Retry-After.
const MaxRetryAfter = time.Hour

// errGone is a receiver's 410 Gone: under the Standard Webhooks contract
// the endpoint is gone for good and its subscription is disabled.
var errGone = errors.New("webhook answered 410 Gone: the endpoint is gone; subscription paused")

// retryLater is a failure whose receiver said when to try again (429 or
// 503 with Retry-After).
type retryLater struct {
	error
	after time.Duration
}

func (r retryLater) Unwrap() error { return r.error }

// retryAfter reads a Retry-After header: whole seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// publishLive puts the event on the candidate's live stream, where the
// server-sent events endpoint reads it; the event id is the stream
// sequence, for Last-Event-ID.
func (s *Service) publishLive(ctx context.Context, d *eventsv1.Delivery, p Payload) error {
	body, err := json.Marshal(p)
	if err != nil {
		return permanent{err}
	}
	_, err = s.pub.Publish(ctx, bus.Message{Subject: liveSubject(d.GetCandidateId()), ID: d.GetId(), Data: body,
		Header: nats.Header{"Clinjobs-Event": []string{p.Type}}})
	return err
}

func liveSubject(candidateID string) string { return "live." + candidateID }

//go:embed templates
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html"))
)

var templateFuncs = map[string]any{
	"family": func(s string) string {
		return map[string]string{
			"stp_trainee": "Scientist Training Programme", "clinical_scientist": "Clinical scientist",
			"clinical_technologist": "Clinical technologist", "apprentice": "Apprenticeship", "engineer": "Clinical engineer",
		}[s]
	},
	"pounds": func(n int32) string {
		s := fmt.Sprint(n)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return "£" + s
	},
}

// emailView is what the templates see.
type emailView struct {
	Payload
	Groups      []emailGroup
	Unsubscribe string
	PublicURL   string
}

// emailGroup is a digest's matches of one role family, soonest closing first.
type emailGroup struct {
	Family  string
	Matches []AlertMatch
}

func groupByFamily(ms []AlertMatch) []emailGroup {
	var groups []emailGroup
	for _, m := range ms {
		i := slices.IndexFunc(groups, func(g emailGroup) bool { return g.Family == m.Vacancy.RoleFamily })
		if i < 0 {
			groups = append(groups, emailGroup{Family: m.Vacancy.RoleFamily})
			i = len(groups) - 1
		}
		groups[i].Matches = append(groups[i].Matches, m)
	}
	slices.SortFunc(groups, func(a, b emailGroup) int { return cmp.Compare(a.Family, b.Family) })
	for _, g := range groups {
		slices.SortFunc(g.Matches, func(a, b AlertMatch) int {
			return cmp.Or(a.Vacancy.ClosesAt.Compare(b.Vacancy.ClosesAt), cmp.Compare(a.Vacancy.ID, b.Vacancy.ID))
		})
	}
	return groups
}

// email sends the alert to the address on the candidate's profile now.
func (s *Service) email(ctx context.Context, sub *eventsv1.Subscription, d *eventsv1.Delivery, p Payload) error {
	if s.mailer == nil {
		return errors.New("email is not configured (SMTP_ADDR)")
	}
	var rec eventsv1.CandidateChanged
	if _, err := s.candidates.Get(ctx, partition.Key(d.GetCandidateId()), &rec); errors.Is(err, bus.ErrNotFound) {
		return permanent{errors.New("the candidate has no profile")}
	} else if err != nil {
		return err
	}
	to := rec.GetCandidate().GetEmail()
	if to == "" {
		return permanent{errors.New("the candidate's profile has no email address")}
	}
	m, err := s.composeEmail(sub, d, p, to)
	if err != nil {
		return permanent{err}
	}
	return s.mailer.Send(ctx, m)
}

func (s *Service) composeEmail(sub *eventsv1.Subscription, d *eventsv1.Delivery, p Payload, to string) (mail.Message, error) {
	view := emailView{Payload: p, Groups: groupByFamily(p.Data.Matches),
		Unsubscribe: s.unsubscribeURL(d.GetCandidateId(), sub.GetId()), PublicURL: strings.TrimSuffix(s.cfg.PublicURL, "/")}
	var subject string
	switch p.Type {
	case TypeDigest:
		rhythm := "Daily"
		if sub.GetRhythm() == eventsv1.Rhythm_RHYTHM_WEEKLY {
			rhythm = "Weekly"
		}
		subject = fmt.Sprintf("%s digest: %d clinical engineering vacancies for you", rhythm, len(p.Data.Matches))
	case TypeClosingSoon:
		subject = "Closing soon: " + p.Data.Matches[0].Vacancy.Title
	default:
		subject = "New vacancy for you: " + p.Data.Matches[0].Vacancy.Title
	}
	var text, html bytes.Buffer
	name := strings.ReplaceAll(p.Type, "vacancy.", "")
	if err := textTemplates.ExecuteTemplate(&text, name+".txt", view); err != nil {
		return mail.Message{}, fmt.Errorf("text template %s: %w", name, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, name+".html", view); err != nil {
		return mail.Message{}, fmt.Errorf("HTML template %s: %w", name, err)
	}
	return mail.Message{To: to, Subject: subject, Text: text.String(), HTML: html.String(),
		ID: d.GetId(), Unsubscribe: view.Unsubscribe, Date: s.now()}, nil
}
