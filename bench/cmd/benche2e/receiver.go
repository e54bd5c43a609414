package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// arrival is one alert received.
type arrival struct {
	Vacancy   string
	Candidate int
	At        time.Time
}

// receiver is every candidate's webhook endpoint, and the bare pipeline's:
// it checks each alert's signature and notes when it came.
type receiver struct {
	srv      *http.Server
	URL      string
	mu       sync.Mutex
	cands    []candidate
	arrivals []arrival
	seen     map[string]int // webhook-id -> times received
	bad      int
	bare     map[string]time.Time
}

func newReceiver() (*receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{URL: "http://" + l.Addr().String(), seen: map[string]int{}, bare: map[string]time.Time{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

func (r *receiver) setCandidates(c []candidate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cands = c
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if id, ok := strings.CutPrefix(req.URL.Path, "/bare/"); ok {
		r.mu.Lock()
		r.bare[id] = at
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	i, err := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/h/"))
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || i < 0 || i >= len(r.cands) || webhook.Verify(r.cands[i].Secret, req.Header, body, at, 5*time.Minute) != nil {
		r.bad++
		http.Error(w, "not a signed alert for a known candidate", http.StatusUnauthorized)
		return
	}
	var p struct {
		Data struct {
			Matches []struct {
				Vacancy struct {
					ID string `json:"id"`
				} `json:"vacancy"`
			} `json:"matches"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &p) != nil || len(p.Data.Matches) != 1 {
		r.bad++
		http.Error(w, "not an alert", http.StatusBadRequest)
		return
	}
	id := req.Header.Get("webhook-id")
	r.seen[id]++
	if r.seen[id] == 1 {
		r.arrivals = append(r.arrivals, arrival{Vacancy: p.Data.Matches[0].Vacancy.ID, Candidate: i, At: at})
	}
	w.WriteHeader(http.StatusNoContent)
}

// take returns the alerts that arrived since the last call, and how many
// duplicates arrived in all.
func (r *receiver) take() (arrived []arrival, duplicates int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	arrived, r.arrivals = r.arrivals, nil
	for _, n := range r.seen {
		duplicates += n - 1
	}
	return arrived, duplicates
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.arrivals)
}

func (r *receiver) bareArrival(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.bare[id]
	return t, ok
}
