package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// SignedUp answers a sign-up.
type SignedUp struct {
	Candidate jobs.CandidateView `json:"candidate"`
	// Token is shown once: every later call about the candidate needs it.
	// A replay of the sign-up's Idempotency-Key answers without it: it is
	// kept nowhere in plaintext.
	Token string `json:"token,omitempty"`
}

// NewToken answers a token rotation.
type NewToken struct {
	Token string `json:"token"`
}

// signUp stores and announces a new candidate and returns their token. With
// an Idempotency-Key, a retry returns the same candidate and token.
func (s *Service) signUp(c *gin.Context) {
	var in jobs.CandidateInput
	body, err := httpserver.ReadJSON(c, &in)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	s.create(c, "signup", body, func(idemKey []byte) (*creation, error) {
		now := s.now()
		cand, err := in.Check(c.Request.Context(), now, s.gazetteer)
		if err != nil {
			return nil, err
		}
		cand.Id = ids.New("c")
		cand.CreatedAtUnixMs, cand.UpdatedAtUnixMs = now.UnixMilli(), now.UnixMilli()
		secret, hash := auth.NewSecret()
		rec := &eventsv1.CandidateChanged{
			Change: eventsv1.CandidateChange_CANDIDATE_CHANGE_SIGNED_UP, Candidate: cand,
			OccurredAtUnixMs: now.UnixMilli(), TokenHash: hash, IdempotencyKeyHash: idemKey,
		}
		data, err := bus.Encode(rec)
		if err != nil {
			return nil, err
		}
		token := auth.Credential{Prefix: auth.CandidateTokenPrefix, Owner: cand.GetId(), Secret: secret}
		return &creation{
			store: s.candidates, key: partition.Key(cand.GetId()), msgID: "candidate.signup." + cand.GetId(), record: data,
			status: http.StatusCreated, body: SignedUp{Candidate: jobs.ViewCandidate(cand)},
			once:   SignedUp{Candidate: jobs.ViewCandidate(cand), Token: token.String()},
			header: map[string]string{"Location": "/v1/candidates/" + cand.GetId()},
			conflict: func(context.Context) error {
				return problem.New(problem.Conflict, "candidate %s exists already", cand.GetId())
			},
		}, nil
	})
}

// getCandidate reads the candidate's own profile.
func (s *Service) getCandidate(c *gin.Context) {
	rec, rev := auth.CandidateOf(c)
	c.Header("ETag", httpserver.ETag(rev))
	c.JSON(http.StatusOK, jobs.ViewCandidate(rec.GetCandidate()))
}

// replaceCandidate replaces the profile; If-Match is required.
func (s *Service) replaceCandidate(c *gin.Context) {
	ifMatch, err := httpserver.IfMatch(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	var in jobs.CandidateInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	rec, rev := auth.CandidateOf(c)
	if rev != ifMatch {
		httpserver.Fail(c, problem.New(problem.PreconditionFailed, "the profile is at revision %d, not %d; read it again", rev, ifMatch))
		return
	}
	now := s.now()
	cand, err := in.Check(c.Request.Context(), now, s.gazetteer)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	prev := rec.GetCandidate()
	cand.Id, cand.CreatedAtUnixMs, cand.UpdatedAtUnixMs = prev.GetId(), prev.GetCreatedAtUnixMs(), now.UnixMilli()
	next := &eventsv1.CandidateChanged{
		Change: eventsv1.CandidateChange_CANDIDATE_CHANGE_UPDATED, Candidate: cand, OccurredAtUnixMs: now.UnixMilli(),
		TokenHash: rec.GetTokenHash(), IdempotencyKeyHash: rec.GetIdempotencyKeyHash(),
	}
	newRev, err := s.candidates.Update(c.Request.Context(), partition.Key(cand.GetId()), rev, next)
	if errors.Is(err, bus.ErrStale) {
		httpserver.Fail(c, problem.New(problem.PreconditionFailed, "the profile changed since revision %d; read it again", rev))
		return
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("ETag", httpserver.ETag(newRev))
	c.JSON(http.StatusOK, jobs.ViewCandidate(cand))
}

// rotateToken gives the candidate a new token; the old one stops working.
func (s *Service) rotateToken(c *gin.Context) {
	rec, rev := auth.CandidateOf(c)
	secret, hash := auth.NewSecret()
	next := cloneCandidateRecord(rec)
	next.Change, next.TokenHash, next.OccurredAtUnixMs = eventsv1.CandidateChange_CANDIDATE_CHANGE_UPDATED, hash, s.now().UnixMilli()
	id := rec.GetCandidate().GetId()
	if _, err := s.candidates.Update(c.Request.Context(), partition.Key(id), rev, next); err != nil {
		if errors.Is(err, bus.ErrStale) {
			err = problem.New(problem.Conflict, "the profile changed meanwhile; try again")
		}
		httpserver.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, NewToken{Token: auth.Credential{Prefix: auth.CandidateTokenPrefix, Owner: id, Secret: secret}.String()})
}

// eraseCandidate erases the candidate: their record is purged, which every
// service sees on the candidates stream and acts on, and ingest's own
// traces of them (their sign-up's idempotency entry, which holds their
// token) go too.
func (s *Service) eraseCandidate(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	ctx := c.Request.Context()
	if err := s.candidates.Erase(ctx, partition.Key(rec.GetCandidate().GetId())); err != nil {
		httpserver.Fail(c, err)
		return
	}
	if k := rec.GetIdempotencyKeyHash(); len(k) > 0 {
		if err := s.idem.Forget(ctx, string(k)); err != nil {
			s.log.ErrorContext(ctx, "erasure: sign-up idempotency entry left behind", "candidate", rec.GetCandidate().GetId(), "err", err)
		}
	}
	c.Status(http.StatusNoContent)
}

// Export is everything held about a candidate, from every service.
type Export struct {
	GeneratedAt   time.Time          `json:"generated_at"`
	Candidate     jobs.CandidateView `json:"candidate"`
	Matches       json.RawMessage    `json:"matches"`
	Subscriptions json.RawMessage    `json:"subscriptions"`
	Deliveries    json.RawMessage    `json:"deliveries"`
	// Missing names the parts a service did not give in time; the export
	// is then incomplete, and says so.
	Missing []string `json:"missing,omitempty"`
}

// exportCandidate gathers everything held about the candidate.
func (s *Service) exportCandidate(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	ctx := c.Request.Context()
	id := rec.GetCandidate().GetId()
	out := Export{GeneratedAt: s.now().UTC(), Candidate: jobs.ViewCandidate(rec.GetCandidate()),
		Matches: json.RawMessage("[]"), Subscriptions: json.RawMessage("[]"), Deliveries: json.RawMessage("[]")}
	actor := c.GetString(auth.ContextActor)
	var fromMatching struct {
		Matches json.RawMessage `json:"matches"`
	}
	if err := s.control.Request(ctx, subjectMatchExport, actor, map[string]string{"candidate_id": id}, &fromMatching); err != nil {
		out.Missing = append(out.Missing, "matches: "+problem.DetailsOf(err).Detail)
	} else if fromMatching.Matches != nil {
		out.Matches = fromMatching.Matches
	}
	var fromNotification struct {
		Subscriptions json.RawMessage `json:"subscriptions"`
		Deliveries    json.RawMessage `json:"deliveries"`
	}
	if err := s.control.Request(ctx, subjectNotifyExport, actor, map[string]string{"candidate_id": id}, &fromNotification); err != nil {
		out.Missing = append(out.Missing, "subscriptions and deliveries: "+problem.DetailsOf(err).Detail)
	} else {
		if fromNotification.Subscriptions != nil {
			out.Subscriptions = fromNotification.Subscriptions
		}
		if fromNotification.Deliveries != nil {
			out.Deliveries = fromNotification.Deliveries
		}
	}
	c.Header("Content-Disposition", `attachment; filename="clinjobs-`+id+`.json"`)
	c.JSON(http.StatusOK, out)
}

func cloneCandidateRecord(r *eventsv1.CandidateChanged) *eventsv1.CandidateChanged {
	return proto.Clone(r).(*eventsv1.CandidateChanged)
}
