package notification_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/testwait"
	"github.com/clinjobs/clinjobs/pkg/webhook/webhooktest"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

// listenOn serves h on addr (a loopback address other than 127.0.0.1
// stands for another network), closed when the test ends.
func listenOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// inFlight counts the requests a set of receivers hold at once and the
// most it has seen.
type inFlight struct {
	mu       sync.Mutex
	now, max int
	answered int
}

func (f *inFlight) handler(delay time.Duration, stop <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read to the end, so that the server sees at once a client
		// that hangs up (it watches the connection only after the body).
		_, _ = io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		f.now++
		f.max = max(f.max, f.now)
		f.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		case <-stop:
		}
		f.mu.Lock()
		f.now--
		f.answered++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
}

func (f *inFlight) most() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.max
}

// TestFairShares: a sender of slow endpoints spread over many host names
// (on one registrable domain), over many domains (on one address range),
// or over many subscriptions (of one candidate) holds no more than its
// share of the workers, plus its share of the slow lane, however many
// deliveries it has waiting; healthy candidates' alerts go by meanwhile.
// Without the shares every worker would be at the slow receivers.
func TestFairShares(t *testing.T) {
	t.Parallel()
	const workers, share, lane, laneShare = 16, 2, 4, 1
	const many = 24
	type layout struct {
		name string
		// host returns the i'th slow subscription's host name and the
		// address it resolves to.
		host func(i int) (string, string)
		// oneCandidate puts every slow subscription on one candidate.
		oneCandidate bool
	}
	for _, c := range []layout{
		{"many host names on one domain", func(i int) (string, string) {
			return fmt.Sprintf("h%d.slowcorp.example", i), fmt.Sprintf("127.1.%d.1", i)
		}, false},
		{"many domains on one address range", func(i int) (string, string) {
			return fmt.Sprintf("slow%d.example", i), fmt.Sprintf("127.2.0.%d", i+1)
		}, false},
		{"one candidate with many subscriptions", func(i int) (string, string) {
			return fmt.Sprintf("slow%d.example", i), fmt.Sprintf("127.3.%d.1", i)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addrs := map[string]string{}
			for i := range many {
				name, addr := c.host(i)
				addrs[name] = addr
			}
			dns := webhooktest.NewDNS(func(name string, _ int) []netip.Addr {
				name = strings.TrimSuffix(name, ".")
				if a, ok := addrs[name]; ok {
					return []netip.Addr{netip.MustParseAddr(a)}
				}
				if strings.HasSuffix(name, ".example") {
					return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
				}
				return nil
			})
			h := start(t, func(cfg *notification.Config, d *notification.Deps) {
				cfg.Workers, cfg.WebhookTimeout = workers, 5*time.Second
				cfg.Endpoints.SlowAfter, cfg.Endpoints.SlowLane, cfg.Endpoints.LaneShare = 300*time.Millisecond, lane, laneShare
				cfg.Endpoints.CandidateShare, cfg.Endpoints.DomainShare, cfg.Endpoints.RangeShare = share, share, share
				// Long enough that nothing here becomes a dead letter for
				// waiting its turn.
				cfg.Retries = []time.Duration{time.Minute, time.Minute}
				d.Resolver = dns.Resolver()
			})
			stop := make(chan struct{})
			t.Cleanup(func() { close(stop) })
			var slow inFlight
			servers := map[string]*httptest.Server{}
			urls := make([]string, many)
			for i := range many {
				name, addr := c.host(i)
				srv := servers[addr]
				if srv == nil {
					srv = listenOn(t, addr, slow.handler(time.Second, stop))
					servers[addr] = srv
				}
				_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
				urls[i] = "http://" + name + ":" + port + "/hooks"
			}
			closes := h.clock.Now().Add(30 * 24 * time.Hour)
			var sender string
			if c.oneCandidate {
				id, token := h.candidate("many@example.org")
				for _, u := range urls[:notification.MaxSubscriptions] {
					h.subscribe(id, token, map[string]any{"channel": "webhook", "url": u})
				}
				sender = id
				for range 3 {
					h.match(id, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
				}
			} else {
				for i, u := range urls {
					id, token := h.candidate(fmt.Sprintf("slow%d@example.org", i))
					h.subscribe(id, token, map[string]any{"channel": "webhook", "url": u})
					for range 3 {
						h.match(id, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
					}
				}
			}
			up := newReceiver(t, nil)
			_, port, _ := net.SplitHostPort(up.Listener.Addr().String())
			const healthy = 8
			for i := range healthy {
				id, token := h.candidate(fmt.Sprintf("ok%d@example.org", i))
				h.subscribe(id, token, map[string]any{"channel": "webhook", "url": fmt.Sprintf("http://ok%d.example:%s/hooks", i, port)})
				h.match(id, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
			}
			testwait.Until(t, 30*time.Second, "every healthy alert", func() bool { return len(up.got()) == healthy })
			// Some slow sends went meanwhile, and never more at once than
			// the share of the workers and of the lane, and one more: a
			// send cut off (the lane full) frees its place as soon as the
			// client has hung up, a moment before the receiver sees it.
			// Without the shares every worker would be at the slow
			// receivers.
			testwait.Until(t, 30*time.Second, "the slow receivers reached", func() bool { return slow.most() >= share })
			if most := slow.most(); most > share+laneShare+1 {
				t.Errorf("%d sends at once to the slow sender%s, want at most its share %d of the workers and %d of the slow lane",
					most, map[bool]string{true: " " + sender, false: ""}[c.oneCandidate], share, laneShare)
			}
			t.Logf("at most %d slow sends at once", slow.most())
		})
	}
}
