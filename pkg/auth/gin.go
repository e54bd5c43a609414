package auth

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Keys the middleware sets on a Gin context.
const (
	// ContextCandidate holds the *eventsv1.CandidateChanged of the candidate.
	ContextCandidate = "auth.candidate"
	// ContextCandidateRevision holds its revision (uint64).
	ContextCandidateRevision = "auth.candidate.revision"
	// ContextTrust holds the *eventsv1.Trust of the trust.
	ContextTrust = "auth.trust"
	// ContextActor holds who is acting, for audit: "trust:RJ1/k1", "operator".
	ContextActor = "auth.actor"
)

var errNoCredential = problem.New(problem.Unauthenticated, "send Authorization: Bearer <key or token>")

func bearer(c *gin.Context) (string, error) {
	tok, ok := Bearer(c.GetHeader("Authorization"))
	if !ok {
		return "", errNoCredential
	}
	return tok, nil
}

// Live says whether tok is a live credential of any kind (a trust's key
// that is not revoked, a candidate's current token, the operator key). A
// route answers a live credential of another kind 403 (known, but not
// allowed) and every other credential 401, so that a refusal never tells
// whether a forged key's trust or candidate exists.
type Live func(ctx context.Context, tok string) (bool, error)

// WrongKind is the refusal of tok, a credential of another kind than the
// route needs (described by need, "the operator key"): 403 if live says it
// is live, 401 otherwise or when live is nil.
func WrongKind(ctx context.Context, live Live, tok, need string) error {
	if live != nil {
		ok, err := live(ctx, tok)
		if err != nil {
			return problem.Wrap(problem.Unavailable, err, "credentials cannot be checked just now")
		}
		if ok {
			return problem.New(problem.Forbidden, "this route needs %s", need)
		}
	}
	return problem.New(problem.Unauthenticated, "%s is not valid", need)
}

// Operator admits requests bearing the operator key whose hash is keyHash.
// A credential of another kind is refused by WrongKind with live, which may
// be nil where other credentials cannot be checked (they are all 401 then).
func Operator(keyHash []byte, live Live) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, err := bearer(c)
		if err == nil && !Matches(keyHash, tok) {
			err = problem.New(problem.Unauthenticated, "the operator key is not valid")
			if cred, perr := Parse(tok); perr == nil && cred.Prefix != OperatorKeyPrefix {
				err = WrongKind(c.Request.Context(), live, tok, "the operator key")
			}
		}
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		c.Set(ContextActor, "operator")
		c.Next()
	}
}

// Candidates checks candidate tokens against the candidates bucket.
type Candidates struct {
	store *bus.Store
}

// NewCandidates returns a checker over the candidates bucket.
func NewCandidates(store *bus.Store) *Candidates { return &Candidates{store: store} }

// Verify returns the record of the candidate that token belongs to, if it is
// candidateID. A token for another candidate is reported as NotFound, so a
// caller learns nothing of other candidates' ids.
func (v *Candidates) Verify(ctx context.Context, token, candidateID string) (*eventsv1.CandidateChanged, uint64, error) {
	cred, err := Parse(token)
	if err != nil || cred.Prefix != CandidateTokenPrefix {
		return nil, 0, problem.New(problem.Unauthenticated, "the candidate token is not valid")
	}
	if cred.Owner != candidateID {
		return nil, 0, problem.New(problem.NotFound, "no candidate %s", candidateID)
	}
	var rec eventsv1.CandidateChanged
	// A sign-up or a new token a moment ago may not have reached the
	// replica that answers: the leader decides before a refusal.
	rev, err := v.store.GetConfirmed(ctx, partition.Key(candidateID), &rec, func() bool {
		return Matches(rec.GetTokenHash(), cred.Secret)
	})
	if errors.Is(err, bus.ErrNotFound) {
		return nil, 0, problem.New(problem.Unauthenticated, "the candidate token is not valid")
	}
	if err != nil {
		return nil, 0, problem.Wrap(problem.Unavailable, err, "candidates cannot be checked just now")
	}
	if !Matches(rec.GetTokenHash(), cred.Secret) {
		return nil, 0, problem.New(problem.Unauthenticated, "the candidate token is not valid")
	}
	return &rec, rev, nil
}

// Candidate admits requests bearing the token of the candidate named by the
// route parameter param, and sets ContextCandidate.
func (v *Candidates) Candidate(param string) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, err := bearer(c)
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		rec, rev, err := v.Verify(c.Request.Context(), tok, c.Param(param))
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		c.Set(ContextCandidate, rec)
		c.Set(ContextCandidateRevision, rev)
		c.Set(ContextActor, "candidate:"+rec.GetCandidate().GetId())
		c.Next()
	}
}

// CandidateOf returns the candidate record Candidate set.
func CandidateOf(c *gin.Context) (*eventsv1.CandidateChanged, uint64) {
	rec, _ := c.Get(ContextCandidate)
	rev, _ := c.Get(ContextCandidateRevision)
	r, _ := rec.(*eventsv1.CandidateChanged)
	n, _ := rev.(uint64)
	return r, n
}
