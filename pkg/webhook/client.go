package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress is an address alerts may not be sent to.
var ErrForbiddenAddress = errors.New("address not allowed for webhooks")

// forbidden are the networks no alert may reach unless private targets are
// allowed: this host, private and carrier networks, link-local (with the
// cloud metadata services), multicast, and the reserved ranges.
var forbidden = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
		"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// nat64 is the well-known prefix that embeds an IPv4 address in IPv6.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// CheckAddr reports whether alerts may go to addr. IPv4 addresses written as
// IPv6 (mapped, compatible or NAT64) are judged as the IPv4 address they carry.
func CheckAddr(addr netip.Addr, allowPrivate bool) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrForbiddenAddress)
	}
	addr = addr.WithZone("")
	if v4, ok := embeddedV4(addr); ok {
		addr = v4
	}
	if allowPrivate {
		return nil
	}
	for _, p := range forbidden {
		if p.Contains(addr) {
			return fmt.Errorf("%w: %s is in %s", ErrForbiddenAddress, addr, p)
		}
	}
	return nil
}

// embeddedV4 returns the IPv4 address an IPv6 address carries, if it does.
func embeddedV4(a netip.Addr) (netip.Addr, bool) {
	if a.Is4In6() {
		return a.Unmap(), true
	}
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	if nat64.Contains(a) {
		return netip.AddrFrom4([4]byte(b[12:])), true
	}
	// IPv4-compatible addresses (::a.b.c.d), deprecated but still parsed.
	if [12]byte(b[:12]) == [12]byte{} && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback() {
		return netip.AddrFrom4([4]byte(b[12:])), true
	}
	return netip.Addr{}, false
}

// ClientConfig configures NewClient.
type ClientConfig struct {
	// AllowPrivate lets alerts reach internal addresses: for on-premises
	// trusts and for tests. Default: false.
	AllowPrivate bool
	// Timeout bounds a whole request. Default: 10s.
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed. Default: 3.
	MaxRedirects int
	// MaxConnsPerHost bounds the connections to one endpoint, so that a
	// slow one cannot take them all. Default: 16.
	MaxConnsPerHost int
}

// NewClient returns a client for alerts: it connects only to allowed
// addresses, ignores proxy settings (a proxy would dial for it, past the
// check), and follows only a few http(s) redirects.
func NewClient(cfg ClientConfig) *http.Client {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = 3
	}
	if cfg.MaxConnsPerHost == 0 {
		cfg.MaxConnsPerHost = 16
	}
	dialer := &net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
			}
			return CheckAddr(ap.Addr(), cfg.AllowPrivate)
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   cfg.MaxConnsPerHost,
		MaxConnsPerHost:       cfg.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("more than %d redirects", cfg.MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %s: only http and https", req.URL.Scheme)
			}
			return nil
		},
	}
}

// MaxURLLength bounds a webhook URL.
const MaxURLLength = 2048

// CheckURL checks a webhook URL when it is registered: an absolute http or
// https URL without credentials, whose host is allowed and, if a name,
// resolves (with resolver, or the default) only to allowed addresses.
func CheckURL(ctx context.Context, raw string, allowPrivate bool, resolver *net.Resolver) error {
	if len(raw) > MaxURLLength {
		return fmt.Errorf("the URL is longer than %d characters", MaxURLLength)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return errors.New("not an absolute URL such as https://example.org/hooks/jobs")
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("the URL must start with https:// or http://")
	case u.User != nil:
		return errors.New("the URL must not carry a user name or password")
	case u.Hostname() == "":
		return errors.New("the URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := net.LookupPort("tcp", p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a port", p)
		}
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if err := CheckAddr(addr, allowPrivate); err != nil {
			return fmt.Errorf("alerts cannot be sent to %s: it is not a public address", host)
		}
		return nil
	}
	if !allowPrivate {
		lower := strings.ToLower(strings.TrimSuffix(host, "."))
		for _, suffix := range []string{"localhost", ".localhost", ".local", ".internal", ".localdomain"} {
			if lower == strings.TrimPrefix(suffix, ".") || strings.HasSuffix(lower, suffix) {
				return fmt.Errorf("alerts cannot be sent to %s: it is not a public name", host)
			}
		}
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("the host %s cannot be found", host)
	}
	for _, a := range addrs {
		if err := CheckAddr(a, allowPrivate); err != nil {
			return fmt.Errorf("alerts cannot be sent to %s: it resolves to %s, which is not a public address", host, a.Unmap())
		}
	}
	return nil
}
