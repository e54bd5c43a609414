package endpoints

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Domain returns host's registrable domain: its public suffix and one
// label more ("a.b.nhs.uk" gives "b.nhs.uk", "x.y.example" gives
// "y.example"), so that a sender with a thousand host names under one
// domain counts as one. An address, or a name that is itself a public
// suffix, is its own domain.
func Domain(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return host
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// Range returns the address range addr belongs to: its /24 for IPv4, its
// /48 for IPv6 (what one network is usually given), so that a sender with
// many domains on one network counts as one.
func Range(addr netip.Addr) string {
	addr = addr.Unmap()
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// Ranges finds the address range of host names, remembering each answer
// for a while: a delivery needs its range before it is sent, and a storm
// of deliveries to one host asks the resolver once.
type Ranges struct {
	resolver *net.Resolver
	ttl      time.Duration
	mu       sync.Mutex
	known    map[string]rangeAnswer
}

type rangeAnswer struct {
	rng     string
	expires time.Time
}

// maxRanges bounds the answers kept; past it they are all forgotten.
const maxRanges = 100_000

// NewRanges returns Ranges asking resolver (net.DefaultResolver when nil)
// and keeping each answer for ttl.
func NewRanges(resolver *net.Resolver, ttl time.Duration) *Ranges {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	return &Ranges{resolver: resolver, ttl: ttl, known: map[string]rangeAnswer{}}
}

// Of returns the range of host's first address, or "" when it has none
// (the send will fail on its own; a failed lookup is remembered for a
// tenth as long).
func (r *Ranges) Of(ctx context.Context, host string) string {
	host = strings.ToLower(host)
	if a, err := netip.ParseAddr(host); err == nil {
		return Range(a)
	}
	now := time.Now()
	r.mu.Lock()
	a, ok := r.known[host]
	r.mu.Unlock()
	if ok && now.Before(a.expires) {
		return a.rng
	}
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := r.resolver.LookupNetIP(lctx, "ip", host)
	a = rangeAnswer{expires: now.Add(r.ttl / 10)}
	if err == nil && len(addrs) > 0 {
		a = rangeAnswer{rng: Range(addrs[0]), expires: now.Add(r.ttl)}
	}
	r.mu.Lock()
	if len(r.known) >= maxRanges {
		clear(r.known)
	}
	r.known[host] = a
	r.mu.Unlock()
	return a.rng
}
