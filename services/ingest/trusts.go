package ingest

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// An NHS organisation (ODS) code: three to six capitals and digits, such as RJ1.
var odsCode = regexp.MustCompile(`^[A-Z0-9]{3,6}$`)

type trustInput struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type trustView struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type apiKeyView struct {
	ID        string    `json:"id"`
	Label     string    `json:"label,omitempty"`
	Key       string    `json:"key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func viewTrust(t *eventsv1.Trust) trustView {
	return trustView{Code: t.GetCode(), Name: t.GetName(), CreatedAt: time.UnixMilli(t.GetCreatedAtUnixMs()).UTC()}
}

// newAPIKey returns a fresh key for trust and its stored form.
func newAPIKey(trust, label string, now time.Time) (*eventsv1.ApiKey, string) {
	secret, hash := auth.NewSecret()
	id := ids.New("k")
	key := auth.Credential{Prefix: auth.TrustKeyPrefix, Owner: trust, KeyID: id, Secret: secret}
	return &eventsv1.ApiKey{Id: id, SecretHash: hash, Label: label, CreatedAtUnixMs: now.UnixMilli()}, key.String()
}

// createTrust onboards a trust with its first API key, shown once.
func (s *Service) createTrust(c *gin.Context) {
	var in trustInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	var fields []problem.FieldError
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	if !odsCode.MatchString(in.Code) {
		fields = append(fields, problem.FieldError{Field: "/code", Detail: "must be an NHS organisation code such as RJ1"})
	}
	if len(in.Name) < 3 || len(in.Name) > 200 {
		fields = append(fields, problem.FieldError{Field: "/name", Detail: "must be 3 to 200 characters"})
	}
	if err := problem.Fields(fields); err != nil {
		httpserver.Fail(c, err)
		return
	}
	now := s.now()
	key, plain := newAPIKey(in.Code, "initial", now)
	t := &eventsv1.Trust{
		Code: in.Code, Name: in.Name, ApiKeys: []*eventsv1.ApiKey{key},
		CreatedAtUnixMs: now.UnixMilli(), UpdatedAtUnixMs: now.UnixMilli(),
	}
	rev, err := s.trusts.Create(c.Request.Context(), in.Code, "trust.create."+in.Code+"."+key.GetId(), t)
	if errors.Is(err, bus.ErrExists) {
		httpserver.Fail(c, problem.New(problem.Conflict, "trust %s is onboarded already", in.Code))
		return
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("Location", "/v1/trusts/"+in.Code)
	c.Header("ETag", httpserver.ETag(rev))
	c.JSON(http.StatusCreated, gin.H{
		"trust":   viewTrust(t),
		"api_key": apiKeyView{ID: key.GetId(), Label: key.GetLabel(), Key: plain, CreatedAt: now.UTC()},
	})
}

// requireTrust admits requests bearing a live API key of a trust.
func (s *Service) requireTrust(c *gin.Context) {
	tok, ok := auth.Bearer(c.GetHeader("Authorization"))
	if !ok {
		httpserver.Fail(c, problem.New(problem.Unauthenticated, "send Authorization: Bearer <trust API key>"))
		return
	}
	cred, err := auth.Parse(tok)
	switch {
	case err != nil:
		httpserver.Fail(c, problem.New(problem.Unauthenticated, "the API key is not valid"))
		return
	case cred.Prefix != auth.TrustKeyPrefix:
		httpserver.Fail(c, problem.New(problem.Forbidden, "this route needs a trust API key"))
		return
	}
	var t eventsv1.Trust
	_, err = s.trusts.Get(c.Request.Context(), cred.Owner, &t)
	if errors.Is(err, bus.ErrNotFound) {
		httpserver.Fail(c, problem.New(problem.Unauthenticated, "the API key is not valid"))
		return
	}
	if err != nil {
		httpserver.Fail(c, problem.Wrap(problem.Unavailable, err, "keys cannot be checked just now"))
		return
	}
	for _, k := range t.GetApiKeys() {
		if k.GetId() == cred.KeyID && k.GetRevokedAtUnixMs() == 0 && auth.Matches(k.GetSecretHash(), cred.Secret) {
			c.Set(auth.ContextTrust, &t)
			c.Set(auth.ContextActor, "trust:"+t.GetCode()+"/"+k.GetId())
			c.Next()
			return
		}
	}
	httpserver.Fail(c, problem.New(problem.Unauthenticated, "the API key is not valid or was revoked"))
}

func trustOf(c *gin.Context) *eventsv1.Trust {
	t, _ := c.Get(auth.ContextTrust)
	return t.(*eventsv1.Trust)
}
