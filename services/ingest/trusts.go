package ingest

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
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

// TrustInput onboards a trust.
type TrustInput struct {
	Code string `json:"code" pattern:"^[A-Z0-9]{3,6}$"`
	Name string `json:"name" api:"minLength=1,maxLength=200"`
}

// KeyInput labels a new API key.
type KeyInput struct {
	Label string `json:"label,omitempty"`
}

// TrustView is a trust as operators see it.
type TrustView struct {
	Code      string       `json:"code"`
	Name      string       `json:"name"`
	CreatedAt time.Time    `json:"created_at"`
	APIKeys   []APIKeyView `json:"api_keys" api:"required"`
}

// APIKeyView is an API key; Key, the secret, is there only when it is issued.
type APIKeyView struct {
	ID        string     `json:"id"`
	Label     string     `json:"label,omitempty"`
	Key       string     `json:"key,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// TrustCreated answers an onboarding.
type TrustCreated struct {
	Trust  TrustView  `json:"trust"`
	APIKey APIKeyView `json:"api_key"`
}

// KeyIssued answers the issue of a key.
type KeyIssued struct {
	APIKey APIKeyView `json:"api_key"`
}

// TrustList answers the list of trusts.
type TrustList struct {
	Trusts []TrustView `json:"trusts" api:"required"`
}

func viewKey(k *eventsv1.ApiKey) APIKeyView {
	v := APIKeyView{ID: k.GetId(), Label: k.GetLabel(), CreatedAt: time.UnixMilli(k.GetCreatedAtUnixMs()).UTC()}
	if ms := k.GetRevokedAtUnixMs(); ms != 0 {
		t := time.UnixMilli(ms).UTC()
		v.RevokedAt = &t
	}
	return v
}

func viewTrust(t *eventsv1.Trust) TrustView {
	v := TrustView{Code: t.GetCode(), Name: t.GetName(), CreatedAt: time.UnixMilli(t.GetCreatedAtUnixMs()).UTC(), APIKeys: []APIKeyView{}}
	for _, k := range t.GetApiKeys() {
		v.APIKeys = append(v.APIKeys, viewKey(k))
	}
	return v
}

// newAPIKey returns a fresh key for trust and its stored form.
func newAPIKey(trust, label string, now time.Time) (*eventsv1.ApiKey, string) {
	secret, hash := auth.NewSecret()
	id := ids.New("k")
	key := auth.Credential{Prefix: auth.TrustKeyPrefix, Owner: trust, KeyID: id, Secret: secret}
	return &eventsv1.ApiKey{Id: id, SecretHash: hash, Label: label, CreatedAtUnixMs: now.UnixMilli()}, key.String()
}

// MaxKeysPerTrust bounds a trust's keys, revoked ones included.
const MaxKeysPerTrust = 50

// createTrust onboards a trust with its first API key, shown once.
func (s *Service) createTrust(c *gin.Context) {
	var in TrustInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	out, err := s.onboard(c.Request.Context(), in)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("Location", "/v1/trusts/"+out.Trust.Code)
	c.JSON(http.StatusCreated, out)
}

func (s *Service) onboard(ctx context.Context, in TrustInput) (TrustCreated, error) {
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
		return TrustCreated{}, err
	}
	now := s.now()
	key, plain := newAPIKey(in.Code, "initial", now)
	t := &eventsv1.Trust{
		Code: in.Code, Name: in.Name, ApiKeys: []*eventsv1.ApiKey{key},
		CreatedAtUnixMs: now.UnixMilli(), UpdatedAtUnixMs: now.UnixMilli(),
	}
	_, err := s.trusts.Create(ctx, in.Code, "trust.create."+in.Code+"."+key.GetId(), t)
	if errors.Is(err, bus.ErrExists) {
		return TrustCreated{}, problem.New(problem.Conflict, "trust %s is onboarded already", in.Code)
	}
	if err != nil {
		return TrustCreated{}, err
	}
	view := viewKey(key)
	view.Key = plain
	return TrustCreated{Trust: viewTrust(t), APIKey: view}, nil
}

func (s *Service) listTrusts(c *gin.Context) {
	out, err := s.allTrusts(c.Request.Context())
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Service) allTrusts(ctx context.Context) (TrustList, error) {
	out := TrustList{Trusts: []TrustView{}}
	lister, err := s.trusts.KV().ListKeys(ctx)
	if err != nil {
		return out, problem.Wrap(problem.Unavailable, err, "trusts cannot be listed just now")
	}
	var codes []string
	for k := range lister.Keys() {
		codes = append(codes, k)
	}
	slices.Sort(codes)
	for _, code := range codes {
		var t eventsv1.Trust
		if _, err := s.trusts.Get(ctx, code, &t); err == nil {
			out.Trusts = append(out.Trusts, viewTrust(&t))
		}
	}
	return out, nil
}

func (s *Service) issueKey(c *gin.Context) {
	var in KeyInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	out, err := s.issue(c.Request.Context(), c.Param("code"), in.Label)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

// issue gives a trust a new API key, shown once.
func (s *Service) issue(ctx context.Context, code, label string) (KeyIssued, error) {
	if len(label) > 100 {
		return KeyIssued{}, problem.Fields([]problem.FieldError{{Field: "/label", Detail: "must be at most 100 characters"}})
	}
	var out KeyIssued
	err := s.editTrust(ctx, code, func(t *eventsv1.Trust, now time.Time) error {
		if len(t.GetApiKeys()) >= MaxKeysPerTrust {
			return problem.New(problem.Conflict, "trust %s has %d keys, the most it may hold", code, MaxKeysPerTrust)
		}
		key, plain := newAPIKey(t.GetCode(), label, now)
		t.ApiKeys = append(t.ApiKeys, key)
		out.APIKey = viewKey(key)
		out.APIKey.Key = plain
		return nil
	})
	return out, err
}

func (s *Service) revokeKey(c *gin.Context) {
	if err := s.revoke(c.Request.Context(), c.Param("code"), c.Param("key")); err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// revoke ends an API key; requests bearing it fail from the next one on.
func (s *Service) revoke(ctx context.Context, code, keyID string) error {
	return s.editTrust(ctx, code, func(t *eventsv1.Trust, now time.Time) error {
		for _, k := range t.GetApiKeys() {
			if k.GetId() == keyID {
				if k.GetRevokedAtUnixMs() == 0 {
					k.RevokedAtUnixMs = now.UnixMilli()
				}
				return nil
			}
		}
		return problem.New(problem.NotFound, "trust %s has no key %s", code, keyID)
	})
}

// editTrust applies edit to the latest record of a trust, again from the
// newest if another writer got there first.
func (s *Service) editTrust(ctx context.Context, code string, edit func(*eventsv1.Trust, time.Time) error) error {
	for range 5 {
		var t eventsv1.Trust
		rev, err := s.trusts.Get(ctx, strings.ToUpper(code), &t)
		if errors.Is(err, bus.ErrNotFound) {
			return problem.New(problem.NotFound, "no trust %s", code)
		}
		if err != nil {
			return err
		}
		now := s.now()
		if err := edit(&t, now); err != nil {
			return err
		}
		t.UpdatedAtUnixMs = now.UnixMilli()
		if _, err = s.trusts.Update(ctx, t.GetCode(), rev, &t); !errors.Is(err, bus.ErrStale) {
			return err
		}
	}
	return problem.New(problem.Conflict, "trust %s is changing under us; try again", code)
}
