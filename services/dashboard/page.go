package dashboard

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/audit"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/rates"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/web"
)

// sessionCookie holds the operator's name, when they signed in and a MAC
// of both under the operator key (never the key itself): HttpOnly, Secure
// (unless configured otherwise) and SameSite=Strict.
const sessionCookie = "cj_operator"

// sessionTTL is how long a sign-in lasts. The browser drops the cookie then,
// and the server refuses it then too: a copied cookie is good for no longer.
const sessionTTL = 12 * time.Hour

// refreshEvery is how often the page's sections are sent again.
const refreshEvery = 2 * time.Second

// marketTTL bounds how stale the market figures shown may be: computing them
// asks every matching replica, so they are not recomputed for every viewer.
const marketTTL = 10 * time.Second

type sections struct {
	Services      []serviceView
	ServicesError string
	Rates         []rateView
	FirstAlert    rates.Latency
	Flow          flowView
	FlowError     string
	Market        marketView
	Audit         []audit.Entry
}

type deadLetterView struct {
	ID          string `json:"id"`
	CandidateID string `json:"candidate_id"`
	VacancyID   string `json:"vacancy_id"`
	Endpoint    string `json:"endpoint"`
	Reason      string `json:"reason"`
	Attempts    int    `json:"attempts"`
}

type actionResult struct {
	Action string
	Error  string
	Secret string
}

type pageData struct {
	Title            string
	Operator         string
	CSRF             string
	Error            string
	Sections         sections
	DeadLetters      []deadLetterView
	DeadLettersError string
	Result           *actionResult
}

// page holds what the page needs beyond the service.
type page struct {
	tmpl *template.Template

	mu         sync.Mutex
	market     marketView
	marketTime time.Time
}

func (s *Service) pageRoutes(r *gin.RouterGroup) {
	tmpl, err := web.Templates()
	if err != nil {
		// The templates are embedded: a parse error is a broken build, which
		// every test of the page would show.
		panic(err)
	}
	p := &page{tmpl: tmpl}
	r.StaticFS("/static", http.FS(web.Static()))
	r.GET("/login", func(c *gin.Context) { p.render(c, http.StatusOK, "login", pageData{Title: "Sign in"}) })
	r.POST("/login", s.login(p))
	signedIn := r.Group("", s.session)
	signedIn.GET("/", s.index(p))
	signedIn.GET("/events", s.events(p))
	signedIn.POST("/logout", s.checkCSRF, s.logout)
	signedIn.POST("/actions/:action", s.checkCSRF, s.pageAction(p))
}

func (p *page) render(c *gin.Context, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		c.Error(err) //nolint:errcheck // for the access log
		c.String(http.StatusInternalServerError, "the page could not be drawn")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// csrfToken binds forms to the session: only a holder of the operator key
// can make it, and SameSite=Strict already keeps the cookie from other sites.
func (s *Service) csrfToken(name string) string {
	m := hmac.New(sha256.New, s.opKey)
	m.Write([]byte("csrf\x00" + name))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) login(p *page) gin.HandlerFunc {
	return func(c *gin.Context) {
		name, key := strings.TrimSpace(c.PostForm("name")), c.PostForm("key")
		if !operatorName.MatchString(name) || !auth.Matches(s.opKey, key) {
			p.render(c, http.StatusUnauthorized, "login", pageData{Title: "Sign in", Error: "That name or key is not right."})
			return
		}
		http.SetCookie(c.Writer, &http.Cookie{
			Name: sessionCookie, Value: s.sessionValue(name, s.now()), Path: PagePrefix, HttpOnly: true, Secure: !s.cfg.InsecureCookie,
			SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds()),
		})
		c.Redirect(http.StatusSeeOther, PagePrefix+"/")
	}
}

func (s *Service) logout(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: PagePrefix, MaxAge: -1, HttpOnly: true,
		Secure: !s.cfg.InsecureCookie, SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, PagePrefix+"/login")
}

// sessionValue is the session cookie of operator name signed in at: the
// name, the time in Unix seconds and an HMAC of both.
func (s *Service) sessionValue(name string, at time.Time) string {
	issued := strconv.FormatInt(at.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + issued + "." + s.sessionMAC(name, issued)
}

func (s *Service) sessionMAC(name, issued string) string {
	m := hmac.New(sha256.New, s.opKey)
	m.Write([]byte("session\x00" + name + "\x00" + issued))
	return hex.EncodeToString(m.Sum(nil))
}

// sessionName returns the operator a session cookie names, if it is one
// this service made and it has not expired.
func (s *Service) sessionName(cookie string) (string, bool) {
	parts := strings.Split(cookie, ".")
	if len(parts) != 3 {
		return "", false
	}
	name, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || !operatorName.Match(name) {
		return "", false
	}
	issued, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !hmac.Equal([]byte(parts[2]), []byte(s.sessionMAC(string(name), parts[1]))) {
		return "", false
	}
	// A minute's grace for a clock set back; none past the session's end.
	at, now := time.Unix(issued, 0), s.now()
	if at.After(now.Add(time.Minute)) || !now.Before(at.Add(sessionTTL)) {
		return "", false
	}
	return string(name), true
}

// session admits a signed-in operator, or sends them to sign in.
func (s *Service) session(c *gin.Context) {
	cookie, err := c.Cookie(sessionCookie)
	name, ok := s.sessionName(cookie)
	if err != nil || !ok {
		if c.Request.Method == http.MethodGet && c.FullPath() == PagePrefix+"/" {
			c.Redirect(http.StatusSeeOther, PagePrefix+"/login")
			c.Abort()
			return
		}
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.Set(contextOperatorName, name)
	c.Next()
}

func (s *Service) checkCSRF(c *gin.Context) {
	want := s.csrfToken(c.GetString(contextOperatorName))
	if subtle.ConstantTimeCompare([]byte(c.PostForm("csrf")), []byte(want)) != 1 {
		c.String(http.StatusForbidden, "This form has expired or did not come from this page; reload and try again.")
		c.Abort()
		return
	}
	c.Next()
}

// gather collects what the sections show.
func (s *Service) gather(ctx context.Context, p *page, who string) sections {
	var sec sections
	var err error
	if sec.Services, err = s.services(ctx); err != nil {
		sec.ServicesError = problem.DetailsOf(err).Detail
	}
	now := s.now()
	sec.Rates = s.rates()
	sec.FirstAlert = s.board.FirstAlertLatency(now, time.Hour)
	if sec.Flow, err = s.flow(ctx); err != nil {
		sec.FlowError = problem.DetailsOf(err).Detail
	}
	p.mu.Lock()
	if now.Sub(p.marketTime) > marketTTL {
		p.market, p.marketTime = s.marketView(ctx, who), now
	}
	sec.Market = p.market
	p.mu.Unlock()
	sec.Audit, _ = s.audit.List(ctx, 20)
	return sec
}

func (s *Service) deadLetters(ctx context.Context, who string) ([]deadLetterView, string) {
	var resp struct {
		DeadLetters []deadLetterView `json:"dead_letters"`
	}
	if err := s.control.Request(ctx, subjectDeadLetters, who, map[string]any{"limit": 20}, &resp); err != nil {
		return nil, problem.DetailsOf(err).Detail
	}
	return resp.DeadLetters, ""
}

func (s *Service) data(c *gin.Context, p *page) pageData {
	name := c.GetString(contextOperatorName)
	who := actor(c)
	ctx := c.Request.Context()
	d := pageData{Title: "Operations", Operator: name, CSRF: s.csrfToken(name), Sections: s.gather(ctx, p, who)}
	d.DeadLetters, d.DeadLettersError = s.deadLetters(ctx, who)
	return d
}

func (s *Service) index(p *page) gin.HandlerFunc {
	return func(c *gin.Context) { p.render(c, http.StatusOK, "index", s.data(c, p)) }
}

// events sends each section's HTML every refreshEvery until the viewer
// leaves or the server shuts down.
func (s *Service) events(p *page) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Type", "text/event-stream")
		c.Header("Cache-Control", "no-store")
		c.Header("X-Accel-Buffering", "no")
		ctx := c.Request.Context()
		tick := time.NewTicker(refreshEvery)
		defer tick.Stop()
		for {
			d := s.data(c, p)
			for _, id := range []string{"services", "rates", "flow", "market", "audit"} {
				if !p.send(c, id, d.Sections, id) {
					return
				}
			}
			if !p.send(c, "deadletters", d, "deadletters") {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}
}

// send writes one section event; it reports false once the viewer is gone.
func (p *page) send(c *gin.Context, id string, data any, tmpl string) bool {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, tmpl, data); err != nil {
		return false
	}
	msg, _ := json.Marshal(map[string]string{"id": id, "html": buf.String()})
	if _, err := fmt.Fprintf(c.Writer, "event: section\ndata: %s\n\n", msg); err != nil {
		return false
	}
	c.Writer.Flush()
	return c.Request.Context().Err() == nil
}

// pageAction carries out a form's action and shows the page with its outcome.
func (s *Service) pageAction(p *page) gin.HandlerFunc {
	return func(c *gin.Context) {
		who := actor(c)
		ctx := withActor(c.Request.Context(), who)
		f := c.PostForm
		var (
			name   string
			result any
			err    error
		)
		switch c.Param("action") {
		case "create-trust":
			name = "Onboard trust " + f("code")
			result, err = s.act(ctx, who, "trust.create", f("code"), f("name"),
				s.request(subjectTrustsCreate, map[string]string{"code": f("code"), "name": f("name")}))
		case "issue-key":
			name = "Issue a key to " + f("code")
			result, err = s.act(ctx, who, "trust.key.issue", f("code"), f("label"),
				s.request(subjectKeysIssue, map[string]string{"code": f("code"), "label": f("label")}))
		case "rotate-key":
			name = "Rotate key " + f("key")
			result, err = s.act(ctx, who, "trust.key.rotate", f("code"), f("key"), func(ctx context.Context) (any, error) {
				var issued map[string]any
				if err := s.control.Request(ctx, subjectKeysIssue, who, map[string]string{"code": f("code"), "label": "rotated from " + f("key")}, &issued); err != nil {
					return nil, err
				}
				return issued, s.control.Request(ctx, subjectKeysRevoke, who, map[string]string{"code": f("code"), "key_id": f("key")}, nil)
			})
		case "revoke-key":
			name = "Revoke key " + f("key")
			result, err = s.act(ctx, who, "trust.key.revoke", f("code"), f("key"),
				s.request(subjectKeysRevoke, map[string]string{"code": f("code"), "key_id": f("key")}))
		case "withdraw":
			name = "Withdraw vacancy " + f("id")
			result, err = s.act(ctx, who, "vacancy.withdraw", f("id"), f("reason"),
				s.request(subjectWithdraw, map[string]string{"vacancy_id": f("id"), "reason": f("reason")}))
		case "replay":
			name = "Replay dead letter"
			result, err = s.act(ctx, who, "deadletter.replay", f("id"), "", s.request(subjectReplay, map[string]string{"id": f("id")}))
		case "endpoint":
			do := f("do")
			subject := map[string]string{"pause": subjectEndpointPause, "resume": subjectEndpointResume, "replay": subjectReplay}[do]
			if subject == "" {
				err = problem.New(problem.Invalid, "unknown endpoint action %q", do)
				break
			}
			name = strings.ToUpper(do[:1]) + do[1:] + " " + f("endpoint")
			action := map[string]string{"pause": "endpoint.pause", "resume": "endpoint.resume", "replay": "deadletter.replay"}[do]
			result, err = s.act(ctx, who, action, f("endpoint"), "", s.request(subject, map[string]string{"endpoint": f("endpoint")}))
		case "rebuild-cache":
			name = "Rebuild the match cache"
			result, err = s.rebuildCache(ctx, who)
		default:
			c.String(http.StatusNotFound, "no such action")
			return
		}
		res := &actionResult{Action: name}
		if err != nil {
			res.Error = problem.DetailsOf(err).Detail
		}
		res.Secret = secretIn(result)
		d := s.data(c, p)
		d.Result = res
		p.render(c, http.StatusOK, "index", d)
	}
}

// secretIn finds a newly issued API key in an answer, to show it once.
func secretIn(result any) string {
	m, ok := result.(map[string]any)
	if !ok {
		return ""
	}
	key, _ := m["api_key"].(map[string]any)
	secret, _ := key["key"].(string)
	return secret
}
