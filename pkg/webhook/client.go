package webhook

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrRedirect is a redirect the client refuses to follow: to a scheme other
// than http or https, one too many, or one that would turn the POST of an
// alert into a GET without it.
var ErrRedirect = errors.New("webhook redirect refused")

// ClientConfig configures NewClient. The zero value is the production
// setting.
type ClientConfig struct {
	// AllowPrivate lets alerts reach loopback, private, link-local and the
	// other addresses CheckAddr refuses: for endpoints inside a trust's own
	// network and for tests. Default: false.
	AllowPrivate bool
	// Timeout bounds a whole delivery, from dialling to the end of the
	// response body. Default: 10s.
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed for one delivery; a
	// negative value follows none. Default: 3.
	MaxRedirects int
	// MaxConnsPerHost bounds the connections to one endpoint, so that a slow
	// one cannot take them all. Default: 16.
	MaxConnsPerHost int
	// Resolver resolves host names when dialling; tests give one that
	// serves their own answers. Default: net.DefaultResolver.
	Resolver *net.Resolver
}

func (c *ClientConfig) setDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = 3
	}
	if c.MaxRedirects < 0 {
		c.MaxRedirects = 0
	}
	if c.MaxConnsPerHost <= 0 {
		c.MaxConnsPerHost = 16
	}
}

// NewClient returns the HTTP client alerts are sent with. Its dialer checks
// every address it connects to with CheckAddr, after DNS resolution, so a
// name that resolves, or later rebinds, to an internal address is refused at
// connect time with an error wrapping ErrForbiddenAddress, and so is every
// redirect target. It uses no proxy (a proxy would connect on its behalf,
// past the check, so HTTP_PROXY and the like are ignored), verifies TLS
// against the system's roots with TLS 1.2 or later, and follows at most
// cfg.MaxRedirects http(s) redirects, none of which may drop the body of a
// POST (a 301, 302 or 303 would make it a GET); refused redirects are
// errors wrapping ErrRedirect.
func NewClient(cfg ClientConfig) *http.Client {
	cfg.setDefaults()
	dialer := &net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
		Resolver:  cfg.Resolver,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %q is not an IP address and port", ErrForbiddenAddress, address)
			}
			return CheckAddr(ap.Addr(), cfg.AllowPrivate)
		},
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    cfg.MaxConnsPerHost,
		MaxConnsPerHost:        cfg.MaxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: to a %s: URL; only http and https are followed", ErrRedirect, req.URL.Scheme)
			}
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRedirect, cfg.MaxRedirects)
			}
			if first := via[0]; req.Method != first.Method {
				status := "a redirect"
				if req.Response != nil {
					status = req.Response.Status
				}
				return fmt.Errorf("%w: %s would turn the %s into a %s without the alert; the endpoint should answer 307 or 308, or its new URL be registered",
					ErrRedirect, status, first.Method, req.Method)
			}
			return nil
		},
	}
}
