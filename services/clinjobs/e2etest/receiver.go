package e2etest

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// Alert is one webhook alert as a receiver got it.
type Alert struct {
	Hook        string
	WebhookID   string
	CandidateID string
	VacancyID   string
	Received    time.Time
}

// Receiver is a webhook endpoint for many candidates, each at its own path
// /hooks/<name>. It checks every alert's signature against the secret of its
// hook and counts alerts by webhook-id, so duplicates show.
type Receiver struct {
	srv  *http.Server
	addr net.Addr

	mu      sync.Mutex
	secrets map[string][]byte
	alerts  []Alert
	seen    map[string]int
	bad     []string
	fault   func(w http.ResponseWriter, r *http.Request) bool
}

// NewReceiver starts a receiver listening on addr ("127.0.0.1:0", or
// "0.0.0.0:0" to be reached from containers), stopped in t.Cleanup.
func NewReceiver(t testing.TB, addr string) *Receiver {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("receiver: %v", err)
	}
	r := &Receiver{addr: ln.Addr(), secrets: map[string][]byte{}, seen: map[string]int{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.srv.Shutdown(ctx)
	})
	return r
}

// Port returns the port the receiver listens on.
func (r *Receiver) Port() int { return r.addr.(*net.TCPAddr).Port }

// URL returns the address of hook name as reached through host (an IP or a
// name; "127.0.0.1" from this process).
func (r *Receiver) URL(host, name string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(r.Port())) + "/hooks/" + name
}

// SetSecret gives hook name the secret its subscription was issued.
func (r *Receiver) SetSecret(t testing.TB, name, secret string) {
	t.Helper()
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatalf("secret of %s: %v", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[name] = key
}

// SetFault makes fault answer every request in the receiver's place, for
// endpoints that fail, stall or reset, until SetFault(nil). A request fault
// returns false for goes on to the receiver, as an alert that arrived. What
// fault answers is not counted as received: the sender was told it failed.
func (r *Receiver) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = fault
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	fault := r.fault
	r.mu.Unlock()
	if fault != nil && fault(w, req) {
		return
	}
	name, ok := strings.CutPrefix(req.URL.Path, "/hooks/")
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if !ok || err != nil || req.Method != http.MethodPost {
		http.Error(w, "not a hook", http.StatusNotFound)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	secret, ok := r.secrets[name]
	if !ok {
		r.bad = append(r.bad, name+": no secret set")
		http.Error(w, "unknown hook", http.StatusNotFound)
		return
	}
	if err := webhook.Verify(secret, req.Header, body, time.Now(), 5*time.Minute); err != nil {
		r.bad = append(r.bad, name+": "+err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var payload struct {
		Type string `json:"type"`
		Data struct {
			CandidateID string `json:"candidate_id"`
			Matches     []struct {
				Vacancy struct {
					ID string `json:"id"`
				} `json:"vacancy"`
			} `json:"matches"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &payload); err != nil || payload.Type != "vacancy.matched" || len(payload.Data.Matches) != 1 {
		r.bad = append(r.bad, name+": payload "+string(body))
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	id := req.Header.Get("webhook-id")
	r.seen[id]++
	r.alerts = append(r.alerts, Alert{
		Hook: name, WebhookID: id, CandidateID: payload.Data.CandidateID, VacancyID: payload.Data.Matches[0].Vacancy.ID, Received: time.Now(),
	})
	w.WriteHeader(http.StatusNoContent)
}

// Alerts returns every alert received, duplicates included.
func (r *Receiver) Alerts() []Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Alert(nil), r.alerts...)
}

// Duplicates returns how many alerts repeated a webhook-id already received.
func (r *Receiver) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.seen {
		n += c - 1
	}
	return n
}

// Unique returns how many distinct webhook-ids were received.
func (r *Receiver) Unique() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// Rejected returns what was refused (bad signatures, unknown hooks).
func (r *Receiver) Rejected() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}
