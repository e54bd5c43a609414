package notification

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

// An unsubscribe token names a candidate's subscription and is signed with
// the service's key, so that the link in an email works without a login and
// cannot be forged for anyone else's subscription.
func (s *Service) unsubscribeToken(candidateID, sid string) string {
	m := hmac.New(sha256.New, s.unsubKey)
	m.Write([]byte("unsubscribe\x00" + candidateID + "\x00" + sid))
	return candidateID + "." + sid + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s *Service) unsubscribeURL(candidateID, sid string) string {
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/v1/unsubscribe?token=" + url.QueryEscape(s.unsubscribeToken(candidateID, sid))
}

// checkToken returns the candidate and subscription a token names.
func (s *Service) checkToken(token string) (candidateID, sid string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !ids.Valid("c", parts[0]) || !ids.Valid("s", parts[1]) {
		return "", "", problem.New(problem.Invalid, "this unsubscribe link is not valid")
	}
	want := s.unsubscribeToken(parts[0], parts[1])
	if !hmac.Equal([]byte(want), []byte(token)) {
		return "", "", problem.New(problem.Invalid, "this unsubscribe link is not valid")
	}
	return parts[0], parts[1], nil
}

var unsubscribePage = template.Must(template.New("").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Unsubscribe: Clinical Engineering Jobs</title></head>
<body style="font-family: Arial, sans-serif; max-width: 36em; margin: 2em auto">
{{if .Done}}<h1>You are unsubscribed</h1><p>You will get no more alerts from this subscription.</p>
{{else}}<h1>Stop these alerts?</h1>
<form method="post" action="/v1/unsubscribe?token={{.Token}}"><button type="submit">Unsubscribe</button></form>{{end}}
</body></html>`))

// unsubscribePage asks for confirmation: mail scanners follow links, and a
// GET must not unsubscribe anyone.
func (s *Service) unsubscribePage(c *gin.Context) {
	token := c.Query("token")
	if _, _, err := s.checkToken(token); err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	_ = unsubscribePage.Execute(c.Writer, map[string]any{"Token": token})
}

// unsubscribeOneClick removes the subscription: the RFC 8058 one-click POST
// mail clients send, and the confirmation form's. Unsubscribing twice is
// not an error.
func (s *Service) unsubscribeOneClick(c *gin.Context) {
	cid, sid, err := s.checkToken(c.Query("token"))
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	if err := s.removeSubscription(c.Request.Context(), cid, sid); err != nil && !isNotFound(err) {
		httpserver.Fail(c, err)
		return
	}
	s.log.InfoContext(c.Request.Context(), "unsubscribed by link", "candidate", cid, "subscription", sid)
	if strings.Contains(c.GetHeader("Accept"), "text/html") {
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.Status(http.StatusOK)
		_ = unsubscribePage.Execute(c.Writer, map[string]any{"Done": true})
		return
	}
	c.JSON(http.StatusOK, Unsubscribed{Unsubscribed: sid})
}

// Unsubscribed answers a one-click unsubscribe.
type Unsubscribed struct {
	Unsubscribed string `json:"unsubscribed"`
}

func isNotFound(err error) bool {
	var p *problem.Error
	return errors.As(err, &p) && p.Kind == problem.NotFound
}
