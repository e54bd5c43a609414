package webhook_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/webhook"
	"github.com/clinjobs/clinjobs/pkg/webhook/webhooktest"
)

var testKey = []byte("a test key that is 32 bytes long")

// receiver is a webhook endpoint on 127.0.0.1 that counts the requests it
// gets and answers 204 to a POST whose signature verifies.
type receiver struct {
	*httptest.Server
	hits atomic.Int32
}

func newReceiver(t *testing.T, route func(w http.ResponseWriter, r *http.Request) bool) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.hits.Add(1)
		if route != nil && route(w, r) {
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "POST an alert", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(testKey, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// port is the receiver's port, as ":1234".
func (rc *receiver) port() string {
	u, _ := url.Parse(rc.URL)
	return ":" + u.Port()
}

// post sends a signed alert to u.
func post(t *testing.T, c *http.Client, u string) (*http.Response, error) {
	t.Helper()
	body := []byte(`{"type":"vacancy.matched"}`)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = webhook.Headers(testKey, "msg_1", time.Now(), body)
	resp, err := c.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

// rebinding resolves rebind.example to a public address the first time,
// as when the URL is registered, and to loopback ever after.
func rebinding() *webhooktest.DNS {
	return webhooktest.NewDNS(func(name string, n int) []netip.Addr {
		switch {
		case name != "rebind.example":
			return nil
		case n == 0:
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}
		default:
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
	})
}

func TestClientRefusesInternalAddressesAtConnect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  func(rc *receiver) string
		dns  *webhooktest.DNS
	}{
		{name: "literal loopback", url: func(rc *receiver) string { return rc.URL }},
		{name: "mapped loopback", url: func(rc *receiver) string { return "http://[::ffff:127.0.0.1]" + rc.port() }},
		// The name is not an address: what is refused is the address it
		// resolves to (from /etc/hosts), at connect time.
		{name: "localhost", url: func(rc *receiver) string { return "http://localhost" + rc.port() + "/hooks" }},
		{name: "name rebinding to loopback", url: func(rc *receiver) string { return "http://rebind.example" + rc.port() }, dns: rebinding()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, nil)
			u := tt.url(rc)
			cfg := webhook.ClientConfig{}
			if tt.dns != nil {
				cfg.Resolver = tt.dns.Resolver()
				// Registration sees the public address and lets the URL in.
				if err := webhook.CheckURL(t.Context(), u, false, tt.dns.Resolver()); err != nil {
					t.Fatalf("CheckURL before rebinding: %v", err)
				}
			}
			resp, err := post(t, webhook.NewClient(cfg), u)
			if err == nil {
				t.Fatalf("POST %s: %s, want refused", u, resp.Status)
			}
			if !errors.Is(err, webhook.ErrForbiddenAddress) {
				t.Fatalf("POST %s: %v, want ErrForbiddenAddress", u, err)
			}
			if n := rc.hits.Load(); n != 0 {
				t.Fatalf("the endpoint got %d requests", n)
			}
		})
	}
}

// TestClientRefusesEveryInternalAddressAtConnect: a name that passed
// registration and now resolves to any internal address, in any IPv4 or
// IPv6 form, is refused by the dialer before a connection is tried.
func TestClientRefusesEveryInternalAddressAtConnect(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{
		"127.0.0.1", "127.9.9.9", "10.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.1.1", "100.64.0.1", "100.127.255.254",
		"169.254.169.254", "169.254.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
		"::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::1",
	} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			a := netip.MustParseAddr(addr)
			var rebound atomic.Bool
			dns := webhooktest.NewDNS(func(name string, _ int) []netip.Addr {
				switch {
				case name != "hooks.example":
					return nil
				case rebound.Load():
					return []netip.Addr{a}
				}
				return []netip.Addr{netip.MustParseAddr("93.184.215.14")}
			})
			u := "http://hooks.example:8443/alerts"
			if err := webhook.CheckURL(t.Context(), u, false, dns.Resolver()); err != nil {
				t.Fatalf("registration, while the name is public: %v", err)
			}
			rebound.Store(true)
			client := webhook.NewClient(webhook.ClientConfig{Resolver: dns.Resolver(), Timeout: 2 * time.Second})
			resp, err := post(t, client, u)
			if err == nil {
				t.Fatalf("POST to %s: %s, want refused", addr, resp.Status)
			}
			if !errors.Is(err, webhook.ErrForbiddenAddress) {
				t.Fatalf("POST to %s: %v, want ErrForbiddenAddress", addr, err)
			}
		})
	}
}

// TestClientRefusesSpelledAddresses: a URL whose host is an IPv4 address
// spelled whole, short, octal or hex never reaches the loopback endpoint,
// whether the resolver reads the spelling as the C library does (as
// 127.0.0.1) or knows no such name: registration refuses it, and so does
// the dialer, or the lookup finds nothing to dial.
func TestClientRefusesSpelledAddresses(t *testing.T) {
	t.Parallel()
	spellings := []string{"2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "127.1", "127.0.1", "017700000001"}
	asLibc := webhooktest.NewDNS(func(name string, _ int) []netip.Addr {
		for _, s := range spellings {
			if name == s {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
			}
		}
		return nil
	})
	for _, s := range spellings {
		for name, resolver := range map[string]*net.Resolver{"the machine's resolver": nil, "a resolver reading it as libc": asLibc.Resolver()} {
			t.Run(s+"/"+name, func(t *testing.T) {
				t.Parallel()
				rc := newReceiver(t, nil)
				u := "http://" + s + rc.port() + "/hooks"
				if err := webhook.CheckURL(t.Context(), u, false, resolver); !errors.Is(err, webhook.ErrForbiddenAddress) {
					t.Errorf("registration: %v, want ErrForbiddenAddress", err)
				}
				resp, err := post(t, webhook.NewClient(webhook.ClientConfig{Resolver: resolver, Timeout: 2 * time.Second}), u)
				if err == nil {
					t.Fatalf("POST %s: %s, want refused", u, resp.Status)
				}
				// Go's own resolver does not look up an all-numeric name;
				// one with letters it asks for, and gets 127.0.0.1 here.
				var dnsErr *net.DNSError
				if !errors.Is(err, webhook.ErrForbiddenAddress) && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
					t.Errorf("POST %s: %v, want ErrForbiddenAddress or no such host", u, err)
				}
				if resolver != nil && strings.ContainsAny(s, "x") && !errors.Is(err, webhook.ErrForbiddenAddress) {
					t.Errorf("POST %s: %v, want ErrForbiddenAddress", u, err)
				}
				if n := rc.hits.Load(); n != 0 {
					t.Fatalf("the endpoint got %d requests", n)
				}
			})
		}
	}
}

func TestClientAllowPrivate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  func(rc *receiver) string
		dns  *webhooktest.DNS
	}{
		{name: "literal loopback", url: func(rc *receiver) string { return rc.URL + "/hooks" }},
		{name: "name resolving to loopback", url: func(rc *receiver) string { return "http://rebind.example" + rc.port() }, dns: rebinding()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, nil)
			cfg := webhook.ClientConfig{AllowPrivate: true}
			if tt.dns != nil {
				cfg.Resolver = tt.dns.Resolver()
				tt.dns.Resolver().LookupNetIP(t.Context(), "ip", "rebind.example") // use up the public answer
			}
			resp, err := post(t, webhook.NewClient(cfg), tt.url(rc))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status %s, want 204 (signature verified)", resp.Status)
			}
		})
	}
}

func TestClientRedirects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		maxRedirects int
		status       int    // of the redirect
		to           string // where it points; "" is the endpoint itself, for ever
		wantErr      error
		wantHits     int32
		says         string
	}{
		{name: "to file", status: http.StatusTemporaryRedirect, to: "file:///etc/passwd", wantErr: webhook.ErrRedirect, wantHits: 1, says: "file"},
		{name: "to gopher", status: http.StatusTemporaryRedirect, to: "gopher://127.0.0.1:70/_stats", wantErr: webhook.ErrRedirect, wantHits: 1, says: "gopher"},
		{name: "a loop, default limit", status: http.StatusTemporaryRedirect, wantErr: webhook.ErrRedirect, wantHits: 1 + 3, says: "more than 3"},
		{name: "a loop, limit 1", maxRedirects: 1, status: http.StatusPermanentRedirect, wantErr: webhook.ErrRedirect, wantHits: 1 + 1},
		{name: "none allowed", maxRedirects: -1, status: http.StatusTemporaryRedirect, to: "/final", wantErr: webhook.ErrRedirect, wantHits: 1},
		{name: "302 would drop the alert", status: http.StatusFound, to: "/final", wantErr: webhook.ErrRedirect, wantHits: 1, says: "302 Found would turn the POST into a GET"},
		{name: "303 would drop the alert", status: http.StatusSeeOther, to: "/final", wantErr: webhook.ErrRedirect, wantHits: 1},
		{name: "307 keeps the alert", status: http.StatusTemporaryRedirect, to: "/final", wantHits: 2},
		{name: "308 keeps the alert", status: http.StatusPermanentRedirect, to: "/final", wantHits: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/final" {
					return false
				}
				to := tt.to
				if to == "" {
					to = r.URL.Path
				}
				w.Header().Set("Location", to)
				w.WriteHeader(tt.status)
				return true
			})
			client := webhook.NewClient(webhook.ClientConfig{AllowPrivate: true, MaxRedirects: tt.maxRedirects})
			resp, err := post(t, client, rc.URL+"/hooks")
			if tt.wantErr == nil {
				if err != nil || resp.StatusCode != http.StatusNoContent {
					t.Fatalf("POST: %v, want 204 from the final endpoint (signature verified)", err)
				}
			} else {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("POST: %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.says) {
					t.Errorf("POST: %q, want it to mention %q", err, tt.says)
				}
			}
			if n := rc.hits.Load(); n != tt.wantHits {
				t.Errorf("the endpoint got %d requests, want %d", n, tt.wantHits)
			}
		})
	}
}

func TestClientTimeout(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) bool {
		// An endpoint that never answers. The body is read first: only
		// then does the server notice the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true
	})
	client := webhook.NewClient(webhook.ClientConfig{AllowPrivate: true, Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := post(t, client, rc.URL)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("POST to a silent endpoint: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %s", d)
	}
}

// TestClientTransport checks what cannot be seen from a test server: no
// proxy (one from the environment would connect past the check) and TLS
// 1.2 at least.
func TestClientTransport(t *testing.T) {
	t.Parallel()
	client := webhook.NewClient(webhook.ClientConfig{})
	tr, ok := client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", client.Transport)
	}
	if tr.Proxy != nil {
		t.Error("the transport uses a proxy")
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion < tls.VersionTLS12 || tr.TLSClientConfig.RootCAs != nil {
		t.Errorf("TLS config %+v, want system roots and TLS 1.2 or later", tr.TLSClientConfig)
	}
	if client.Timeout != 10*time.Second {
		t.Errorf("timeout %s, want the default 10s", client.Timeout)
	}
}
