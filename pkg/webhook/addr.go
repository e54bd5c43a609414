package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Errors of CheckAddr, CheckURL and the client's dialer, checked with errors.Is.
var (
	// ErrForbiddenAddress is an address, or a name, that alerts may not be
	// sent to because it belongs to an internal network.
	ErrForbiddenAddress = errors.New("address not allowed for webhooks")
	// ErrInvalidURL is a webhook URL that is not an absolute http(s) URL
	// of the accepted form.
	ErrInvalidURL = errors.New("invalid webhook URL")
	// ErrHostNotFound is a webhook host name that could not be resolved.
	ErrHostNotFound = errors.New("webhook host not found")
)

// span is a range of addresses and what it is, in words for an error message.
type span struct {
	prefix netip.Prefix
	what   string
}

func spans(pairs ...string) []span {
	out := make([]span, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, span{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// refusedV4 are the IPv4 ranges that are not the public internet (RFC 6890
// and its updates). The first match names the reason, so the narrower
// ranges come first.
var refusedV4 = spans(
	"0.0.0.0/8", "an address of this network",
	"10.0.0.0/8", "a private address",
	"100.64.0.0/10", "a carrier-grade NAT address",
	"127.0.0.0/8", "a loopback address",
	"169.254.0.0/16", "a link-local address (where cloud metadata services live)",
	"172.16.0.0/12", "a private address",
	"192.0.0.0/24", "an address reserved for IETF protocols",
	"192.0.2.0/24", "an address reserved for documentation",
	"192.88.99.0/24", "the deprecated 6to4 relay address",
	"192.168.0.0/16", "a private address",
	"198.18.0.0/15", "an address reserved for benchmarking",
	"198.51.100.0/24", "an address reserved for documentation",
	"203.0.113.0/24", "an address reserved for documentation",
	"224.0.0.0/4", "a multicast address",
	"255.255.255.255/32", "the broadcast address",
	"240.0.0.0/4", "a reserved address",
)

// globalUnicast is the only part of the IPv6 space handed out for the
// public internet; everything outside it is refused.
var globalUnicast = netip.MustParsePrefix("2000::/3")

// refusedOutsideV6 names the common ranges outside globalUnicast.
var refusedOutsideV6 = spans(
	"::/128", "the unspecified address",
	"::1/128", "a loopback address",
	"::/96", "an IPv4-compatible address",
	"64:ff9b:1::/48", "a local NAT64 address",
	"100::/64", "a discard address",
	"fc00::/7", "a unique local (private) address",
	"fe80::/10", "a link-local address",
	"fec0::/10", "a site-local address",
	"ff00::/8", "a multicast address",
)

// refusedInsideV6 are the special ranges inside globalUnicast.
var refusedInsideV6 = spans(
	"2001:db8::/32", "an address reserved for documentation",
	"2001::/23", "an address reserved for IETF protocols",
	"3fff::/20", "an address reserved for documentation",
)

var (
	// nat64 is the well-known NAT64 prefix (RFC 6052): the last 32 bits are
	// an IPv4 address that a NAT64 gateway connects to.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// sixToFour is 6to4 (RFC 3056): bits 16 to 48 are an IPv4 address.
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// embeddedV4 returns the IPv4 address that a connection to a is really
// made to, when a carries one: IPv4-mapped (::ffff:a.b.c.d, which the
// kernel dials as IPv4), NAT64 and 6to4.
func embeddedV4(a netip.Addr) (netip.Addr, bool) {
	switch {
	case a.Is4In6():
		return a.Unmap(), true
	case nat64.Contains(a):
		b := a.As16()
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		b := a.As16()
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// refusal says why a may not be dialled, or "" if it may. a has no zone.
func refusal(a netip.Addr) string {
	if a.Is4() {
		for _, s := range refusedV4 {
			if s.prefix.Contains(a) {
				return s.what
			}
		}
		return ""
	}
	public := globalUnicast.Contains(a)
	table := refusedInsideV6
	if !public {
		table = refusedOutsideV6
	}
	for _, s := range table {
		if s.prefix.Contains(a) {
			return s.what
		}
	}
	if !public {
		return "an address outside the public IPv6 range 2000::/3"
	}
	return ""
}

// CheckAddr reports whether alerts may be sent to addr: unless allowPrivate,
// an error wrapping ErrForbiddenAddress for loopback, private (RFC 1918,
// fc00::/7), link-local (169.254.0.0/16 with the cloud metadata services,
// fe80::/10), multicast, unspecified, carrier-grade NAT, broadcast,
// documentation, benchmarking and reserved addresses, and any IPv6 address
// outside 2000::/3. An IPv6 address that carries an IPv4 one (IPv4-mapped,
// NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by the IPv4 address. With
// allowPrivate every valid address is allowed.
func CheckAddr(addr netip.Addr, allowPrivate bool) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: no address", ErrForbiddenAddress)
	}
	if allowPrivate {
		return nil
	}
	a := addr.WithZone("")
	if v4, ok := embeddedV4(a); ok {
		if why := refusal(v4); why != "" {
			return fmt.Errorf("%w: %s carries %s, which is %s", ErrForbiddenAddress, addr, v4, why)
		}
		return nil
	}
	if why := refusal(a); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, addr, why)
	}
	return nil
}

// MaxURLLength bounds a webhook URL, in bytes.
const MaxURLLength = 2048

// internalNames are names, and suffixes of names, that only mean something
// inside one machine or one network.
var internalNames = []string{"localhost", "local", "internal", "localdomain", "home.arpa"}

// lookupTimeout bounds CheckURL's DNS lookup.
const lookupTimeout = 5 * time.Second

// urlError is an error of CheckURL: a message for the candidate who gave
// the URL, and the sentinel that says what sort of problem it is.
type urlError struct {
	msg  string
	kind error
}

func (e *urlError) Error() string { return e.msg }
func (e *urlError) Unwrap() error { return e.kind }

func urlErr(kind error, format string, args ...any) error {
	return &urlError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// CheckURL checks a webhook URL when a candidate registers it, so that a
// mistake is answered at once rather than as failed deliveries later. It
// accepts an absolute http or https URL of at most MaxURLLength bytes, with
// a host, without a user name or password, with a port (if any) from 1 to
// 65535. Unless allowPrivate, an IP address host must pass CheckAddr; a
// name must be a full domain name, not localhost or under .localhost,
// .local, .internal, .localdomain or .home.arpa, and every address it
// resolves to (with resolver; Default: net.DefaultResolver, within 5s) must
// pass CheckAddr.
//
// The error's text is written for the candidate; errors.Is tells
// ErrInvalidURL, ErrForbiddenAddress and ErrHostNotFound apart. Passing
// CheckURL does not make later deliveries safe: the client checks again at
// every connection (see the package comment).
func CheckURL(ctx context.Context, raw string, allowPrivate bool, resolver *net.Resolver) error {
	if len(raw) > MaxURLLength {
		return urlErr(ErrInvalidURL, "the URL is longer than %d characters", MaxURLLength)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return urlErr(ErrInvalidURL, "the URL is not a full web address such as https://example.org/hooks/jobs")
	case u.Scheme != "https" && u.Scheme != "http":
		return urlErr(ErrInvalidURL, "the URL must start with https:// or http://")
	case u.User != nil:
		return urlErr(ErrInvalidURL, "the URL must not contain a user name or password")
	case u.Hostname() == "":
		return urlErr(ErrInvalidURL, "the URL has no host name")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return urlErr(ErrInvalidURL, "the port %s is not a port number from 1 to 65535", p)
		}
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if err := CheckAddr(addr, allowPrivate); err != nil {
			return urlErr(ErrForbiddenAddress, "alerts cannot be sent to %s: it is %s; they go only to public internet addresses",
				host, explain(addr))
		}
		return nil
	}
	// A host ending in a number is an IPv4 address to browsers, curl and
	// the C library (2130706433, 0x7f.1, 0177.0.0.1 and 127.1 are all
	// 127.0.0.1), never a name to look up: it is judged as the address it
	// spells, whatever DNS would say of it.
	if endsInNumber(host) {
		addr, ok := parseIPv4Spelling(host)
		switch {
		case !ok:
			return urlErr(ErrInvalidURL, "the host %s is neither a name nor an IPv4 address", host)
		case CheckAddr(addr, allowPrivate) != nil:
			return urlErr(ErrForbiddenAddress, "alerts cannot be sent to %s: it is %s, %s; they go only to public internet addresses",
				host, addr, explain(addr))
		}
		return urlErr(ErrInvalidURL, "write the address %s as %s", host, addr)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if !allowPrivate {
		for _, n := range internalNames {
			if name == n || strings.HasSuffix(name, "."+n) {
				return urlErr(ErrForbiddenAddress, "alerts cannot be sent to %s: it is a name private to one machine or network; they go only to public internet addresses", host)
			}
		}
		if !strings.Contains(name, ".") {
			return urlErr(ErrForbiddenAddress, "alerts cannot be sent to %s: it is not a full domain name such as example.org", host)
		}
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if dnsErr := (*net.DNSError)(nil); err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
		return urlErr(ErrHostNotFound, "the host %s could not be looked up just now; please try again", host)
	}
	if err != nil || len(addrs) == 0 {
		return urlErr(ErrHostNotFound, "the host %s cannot be found: check the spelling of the URL", host)
	}
	for _, a := range addrs {
		if err := CheckAddr(a, allowPrivate); err != nil {
			return urlErr(ErrForbiddenAddress, "alerts cannot be sent to %s: it resolves to %s, %s; they go only to public internet addresses",
				host, a, explain(a))
		}
	}
	return nil
}

// endsInNumber reports whether host's last label (a final dot aside) is a
// number, decimal or 0x hexadecimal: the WHATWG URL standard's test for a
// host that is to be read as an IPv4 address.
func endsInNumber(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	if hex, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// parseIPv4Spelling reads host as the WHATWG URL standard reads an IPv4
// host (inet_aton's forms): one to four parts, each decimal, 0x
// hexadecimal or 0-led octal, the last filling the bytes left.
func parseIPv4Spelling(host string) (netip.Addr, bool) {
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		base, digits := 10, p
		switch lp := strings.ToLower(p); {
		case strings.HasPrefix(lp, "0x"):
			base, digits = 16, lp[2:]
			if digits == "" {
				digits = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		n, err := strconv.ParseUint(digits, base, 64)
		if p == "" || err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	last := len(nums) - 1
	var v uint64
	for i, n := range nums[:last] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	if nums[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	v |= nums[last]
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// explain says, as a noun phrase, why CheckAddr refuses a.
func explain(a netip.Addr) string {
	a = a.WithZone("")
	if v4, ok := embeddedV4(a); ok {
		return "an address standing for " + v4.String() + ", " + refusal(v4)
	}
	return refusal(a)
}
