package webhook_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/webhook"
	"github.com/clinjobs/clinjobs/pkg/webhook/webhooktest"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		addr    string
		allowed bool
	}{
		// The public internet.
		{"public v4", "8.8.8.8", true},
		{"NHS network range", "81.144.0.1", true},
		{"CDN", "151.101.0.1", true},
		{"just below 10/8", "9.255.255.255", true},
		{"just above 10/8", "11.0.0.0", true},
		{"just outside 172.16/12", "172.32.0.1", true},
		{"just outside CGNAT", "100.128.0.1", true},
		{"public v6", "2a00:1450:4009:81f::200e", true},
		{"public v6, other RIR", "2600:1f18::1", true},
		{"public v4 mapped", "::ffff:8.8.8.8", true},
		{"public v4 through NAT64", "64:ff9b::808:808", true},
		{"public v4 through 6to4", "2002:808:808::1", true},

		// IPv4.
		{"loopback", "127.0.0.1", false},
		{"loopback, anywhere in /8", "127.1.2.3", false},
		{"private 10/8", "10.0.0.1", false},
		{"private 172.16/12", "172.16.5.4", false},
		{"private 172.16/12, top", "172.31.255.255", false},
		{"private 192.168/16", "192.168.1.1", false},
		{"cloud metadata", "169.254.169.254", false},
		{"link-local", "169.254.0.1", false},
		{"carrier-grade NAT", "100.64.0.1", false},
		{"carrier-grade NAT, top", "100.127.255.254", false},
		{"unspecified", "0.0.0.0", false},
		{"this network", "0.1.2.3", false},
		{"multicast", "224.0.0.1", false},
		{"multicast SSDP", "239.255.255.250", false},
		{"broadcast", "255.255.255.255", false},
		{"reserved class E", "240.0.0.1", false},
		{"IETF protocol assignments", "192.0.0.170", false},
		{"documentation 1", "192.0.2.10", false},
		{"documentation 2", "198.51.100.7", false},
		{"documentation 3", "203.0.113.9", false},
		{"benchmarking", "198.18.0.1", false},
		{"benchmarking, top", "198.19.255.255", false},
		{"6to4 relay anycast", "192.88.99.1", false},

		// IPv6.
		{"v6 unspecified", "::", false},
		{"v6 loopback", "::1", false},
		{"v6 link-local", "fe80::1", false},
		{"v6 link-local with zone", "fe80::1%eth0", false},
		{"v6 unique local", "fc00::1", false},
		{"v6 unique local fd", "fd12:3456:789a::1", false},
		{"AWS v6 metadata", "fd00:ec2::254", false},
		{"v6 site-local", "fec0::1", false},
		{"v6 multicast", "ff02::1", false},
		{"v6 documentation", "2001:db8::1", false},
		{"v6 documentation, new", "3fff::1", false},
		{"Teredo", "2001::1", false},
		{"v6 benchmarking", "2001:2::1", false},
		{"discard", "100::1", false},
		{"local-use NAT64", "64:ff9b:1::a00:1", false},
		{"outside 2000::/3", "4000::1", false},
		{"SRv6 SIDs", "5f00::1", false},

		// IPv6 forms of IPv4 addresses.
		{"mapped loopback", "::ffff:127.0.0.1", false},
		{"mapped private", "::ffff:10.1.2.3", false},
		{"mapped metadata", "::ffff:169.254.169.254", false},
		{"mapped unspecified", "::ffff:0.0.0.0", false},
		{"mapped, hex", "::ffff:7f00:1", false},
		{"compatible loopback", "::127.0.0.1", false},
		{"compatible public", "::8.8.8.8", false},
		{"translated (SIIT)", "::ffff:0:a00:1", false},
		{"NAT64 loopback", "64:ff9b::7f00:1", false},
		{"NAT64 metadata", "64:ff9b::a9fe:a9fe", false},
		{"NAT64 private", "64:ff9b::192.168.0.1", false},
		{"6to4 loopback", "2002:7f00:1::", false},
		{"6to4 private", "2002:c0a8:101::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := netip.MustParseAddr(tt.addr)
			err := webhook.CheckAddr(a, false)
			switch {
			case tt.allowed && err != nil:
				t.Errorf("CheckAddr(%s) = %v, want allowed", a, err)
			case !tt.allowed && !errors.Is(err, webhook.ErrForbiddenAddress):
				t.Errorf("CheckAddr(%s) = %v, want ErrForbiddenAddress", a, err)
			case !tt.allowed && !strings.Contains(err.Error(), a.String()):
				t.Errorf("CheckAddr(%s) = %q, which does not name the address", a, err)
			}
			if err := webhook.CheckAddr(a, true); err != nil {
				t.Errorf("CheckAddr(%s) with private addresses allowed = %v", a, err)
			}
		})
	}
}

func TestCheckAddrInvalid(t *testing.T) {
	t.Parallel()
	for _, allowPrivate := range []bool{false, true} {
		if err := webhook.CheckAddr(netip.Addr{}, allowPrivate); !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("CheckAddr(zero, %v) = %v", allowPrivate, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	// Every name resolves here, never through the machine's DNS.
	dns := webhooktest.StaticDNS(map[string][]string{
		"hooks.example.org":    {"93.184.215.14", "2a00:1450:4009:81f::200e"},
		"private.example":      {"10.0.0.1"},
		"mixed.example":        {"93.184.215.14", "10.0.0.1"},
		"metadata.example":     {"fd00:ec2::254"},
		"mapped.example":       {"::ffff:127.0.0.1"},
		"localhost":            {"93.184.215.14"},
		"api.localhost":        {"93.184.215.14"},
		"intranet":             {"93.184.215.14"},
		"printer.local":        {"93.184.215.14"},
		"metadata.internal":    {"93.184.215.14"},
		"router.home.arpa":     {"93.184.215.14"},
		"box.localdomain":      {"93.184.215.14"},
		"localhost.example":    {"93.184.215.14"},
		"internal.nhs.example": {"93.184.215.14"},
		"empty.example":        {},
	})
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		want         error  // nil: accepted
		says         string // part of the message
	}{
		{name: "https name", url: "https://hooks.example.org/clinjobs"},
		{name: "http with port and query", url: "http://hooks.example.org:8080/hook?token=abc"},
		{name: "name with a final dot, upper case", url: "https://HOOKS.example.org./x"},
		{name: "public v4", url: "https://93.184.215.14/hooks"},
		{name: "public v6 with port", url: "http://[2a00:1450:4009:81f::200e]:8443/x"},
		{name: "names that only contain private words", url: "https://localhost.example/"},
		{name: "internal as a label, not the suffix", url: "https://internal.nhs.example/"},

		{name: "relative", url: "/hooks", want: webhook.ErrInvalidURL, says: "full web address"},
		{name: "no scheme", url: "hooks.example.org/x", want: webhook.ErrInvalidURL, says: "full web address"},
		{name: "opaque", url: "https:hooks.example.org", want: webhook.ErrInvalidURL, says: "full web address"},
		{name: "empty", url: "", want: webhook.ErrInvalidURL},
		{name: "junk", url: "http://[::1", want: webhook.ErrInvalidURL},
		{name: "ftp", url: "ftp://93.184.215.14/", want: webhook.ErrInvalidURL, says: "https://"},
		{name: "file", url: "file:///etc/passwd", want: webhook.ErrInvalidURL, says: "https://"},
		{name: "gopher", url: "gopher://hooks.example.org:70/", want: webhook.ErrInvalidURL, says: "https://"},
		{name: "userinfo", url: "https://user:pw@hooks.example.org/", want: webhook.ErrInvalidURL, says: "user name or password"},
		{name: "user only", url: "https://user@hooks.example.org/", want: webhook.ErrInvalidURL, says: "user name"},
		{name: "no host", url: "https:///hooks", want: webhook.ErrInvalidURL, says: "no host"},
		{name: "port only", url: "https://:443/hooks", want: webhook.ErrInvalidURL, says: "no host"},
		{name: "port 0", url: "https://93.184.215.14:0/", want: webhook.ErrInvalidURL, says: "port 0"},
		{name: "port too big", url: "https://93.184.215.14:70000/", want: webhook.ErrInvalidURL, says: "port 70000"},
		{name: "too long", url: "https://hooks.example.org/" + strings.Repeat("a", 2048), want: webhook.ErrInvalidURL, says: "longer than 2048"},
		{name: "just short enough", url: "https://hooks.example.org/" + strings.Repeat("a", 2048-len("https://hooks.example.org/"))},

		{name: "loopback literal", url: "https://127.0.0.1/hooks", want: webhook.ErrForbiddenAddress, says: "loopback"},
		{name: "loopback literal, private allowed", url: "https://127.0.0.1/hooks", allowPrivate: true},
		{name: "mapped literal", url: "https://[::ffff:10.0.0.1]/", want: webhook.ErrForbiddenAddress, says: "standing for 10.0.0.1"},
		{name: "metadata literal", url: "http://169.254.169.254/latest/meta-data/", want: webhook.ErrForbiddenAddress, says: "link-local"},
		{name: "v6 loopback literal", url: "http://[::1]:8080/", want: webhook.ErrForbiddenAddress},
		{name: "v6 link-local with zone", url: "http://[fe80::1%25eth0]/", want: webhook.ErrForbiddenAddress},
		{name: "localhost", url: "https://localhost/hooks", want: webhook.ErrForbiddenAddress, says: "private to one machine"},
		{name: "LOCALHOST.", url: "https://LOCALHOST./hooks", want: webhook.ErrForbiddenAddress},
		{name: "under .localhost", url: "https://api.localhost/hooks", want: webhook.ErrForbiddenAddress},
		{name: "under .internal", url: "https://metadata.internal/", want: webhook.ErrForbiddenAddress},
		{name: "under .local", url: "https://printer.local/", want: webhook.ErrForbiddenAddress},
		{name: "under .home.arpa", url: "https://router.home.arpa/", want: webhook.ErrForbiddenAddress},
		{name: "under .localdomain", url: "https://box.localdomain/", want: webhook.ErrForbiddenAddress},
		{name: "one label", url: "http://intranet/hooks", want: webhook.ErrForbiddenAddress, says: "full domain name"},
		{name: "localhost, private allowed", url: "https://localhost/hooks", allowPrivate: true},
		{name: "one label, private allowed", url: "http://intranet/hooks", allowPrivate: true},
		// IPv4 addresses spelled as the C library, curl and browsers read
		// them: judged as the address, never looked up.
		{name: "decimal loopback", url: "http://2130706433/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1, a loopback address"},
		{name: "hex loopback", url: "http://0x7f000001/hooks", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "hex dotted loopback", url: "http://0x7F.0.0.1/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "octal dotted loopback", url: "http://0177.0.0.1/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "octal with zeros", url: "http://0177.0000.0000.0001/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "octal whole", url: "http://017700000001/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "two-part loopback", url: "http://127.1/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "three-part loopback", url: "http://127.0.1:8080/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "loopback with a final dot", url: "http://127.0.0.1./", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "decimal 192.168/16", url: "http://3232235777/", want: webhook.ErrForbiddenAddress, says: "192.168.1.1, a private address"},
		{name: "two-part 10/8", url: "http://10.1/", want: webhook.ErrForbiddenAddress, says: "10.0.0.1"},
		{name: "hex 172.16/12", url: "http://0xac.0x10.0.1/", want: webhook.ErrForbiddenAddress, says: "172.16.0.1"},
		{name: "decimal CGNAT", url: "http://1681915905/", want: webhook.ErrForbiddenAddress, says: "100.64.0.1, a carrier-grade NAT address"},
		{name: "hex metadata", url: "http://0xa9fea9fe/latest/meta-data", want: webhook.ErrForbiddenAddress, says: "169.254.169.254"},
		{name: "metadata, last part 16 bits", url: "http://169.254.43518/", want: webhook.ErrForbiddenAddress, says: "169.254.169.254"},
		{name: "zero", url: "http://0/", want: webhook.ErrForbiddenAddress, says: "0.0.0.0"},
		{name: "public, spelled", url: "https://134744072/", want: webhook.ErrInvalidURL, says: "as 8.8.8.8"},
		{name: "spelled loopback, private allowed", url: "http://0x7f.1/", allowPrivate: true, want: webhook.ErrInvalidURL, says: "as 127.0.0.1"},
		{name: "a part past 255", url: "http://256.1.1.1/", want: webhook.ErrInvalidURL, says: "neither a name nor"},
		{name: "last part too big", url: "http://1.2.3.256/", want: webhook.ErrInvalidURL},
		{name: "five parts", url: "http://1.2.3.4.5/", want: webhook.ErrInvalidURL},
		{name: "a name ending in hex", url: "http://example.0x1/", want: webhook.ErrInvalidURL},
		{name: "bad octal", url: "http://09.0.0.1/", want: webhook.ErrInvalidURL},
		{name: "numbers inside a name", url: "https://1.2.3.example/", want: webhook.ErrHostNotFound},

		{name: "resolves to private", url: "https://private.example/", want: webhook.ErrForbiddenAddress, says: "resolves to 10.0.0.1, a private address"},
		{name: "one of its addresses private", url: "https://mixed.example/", want: webhook.ErrForbiddenAddress, says: "10.0.0.1"},
		{name: "resolves to AWS metadata", url: "https://metadata.example/", want: webhook.ErrForbiddenAddress, says: "unique local"},
		{name: "resolves to mapped loopback", url: "https://mapped.example/", want: webhook.ErrForbiddenAddress, says: "127.0.0.1"},
		{name: "resolves to private, private allowed", url: "https://mixed.example/", allowPrivate: true},
		{name: "no such host", url: "https://nowhere.example/", want: webhook.ErrHostNotFound, says: "cannot be found"},
		{name: "no addresses", url: "https://empty.example/", want: webhook.ErrHostNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.CheckURL(t.Context(), tt.url, tt.allowPrivate, dns.Resolver())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckURL(%.60q) = %v, want accepted", tt.url, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckURL(%.60q) = %v, want %v", tt.url, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("CheckURL(%.60q) says %q, want it to mention %q", tt.url, err, tt.says)
			}
			if strings.Contains(err.Error(), "webhook") {
				t.Errorf("CheckURL(%.60q) says %q: words for the candidate, not ours", tt.url, err)
			}
		})
	}
}

func TestCheckURLLookupFailure(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := webhook.CheckURL(ctx, "https://hooks.example.org/", false, webhooktest.StaticDNS(nil).Resolver())
	if !errors.Is(err, webhook.ErrHostNotFound) || !strings.Contains(err.Error(), "try again") {
		t.Fatalf("CheckURL with DNS unavailable = %v, want ErrHostNotFound and a suggestion to try again", err)
	}
}

// TestCheckURLSpellingsAreNotLookedUp: a resolver that answers every name
// with a public address (an ISP rewriting NXDOMAIN, a wildcard search
// domain) must not let an IPv4 address spelled short, octal, hex or whole in
// as a name.
func TestCheckURLSpellingsAreNotLookedUp(t *testing.T) {
	t.Parallel()
	everything := webhooktest.NewDNS(func(string, int) []netip.Addr { return []netip.Addr{netip.MustParseAddr("93.184.215.14")} })
	for _, u := range []string{
		"http://127.1/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.0.0.1./", "http://10.1/",
		"http://192.168.257/", "http://169.254.43518/", "http://0xa9.0xfe.0xa9.0xfe/", "http://100.64.1/", "http://0/",
	} {
		if err := webhook.CheckURL(t.Context(), u, false, everything.Resolver()); !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("CheckURL(%s) = %v, want ErrForbiddenAddress whatever DNS says", u, err)
		}
	}
}

// FuzzCheckURL checks, with every name resolving to loopback, that CheckURL
// never panics and accepts nothing that leads to an internal address.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.example.org/x", "http://127.0.0.1/", "http://[::ffff:7f00:1]:80/", "https://93.184.215.14/",
		"http://0x7f000001/", "http://2130706433/", "http://127.1/", "http://[fe80::1%25eth0]/", "https://a@b/",
	} {
		f.Add(s)
	}
	dns := webhooktest.NewDNS(func(string, int) []netip.Addr { return []netip.Addr{netip.MustParseAddr("127.0.0.1")} })
	f.Fuzz(func(t *testing.T, raw string) {
		if webhook.CheckURL(t.Context(), raw, false, dns.Resolver()) != nil {
			return
		}
		// Accepted: so the host must be a literal public address.
		host := raw[strings.Index(raw, "//")+2:]
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		host = strings.TrimPrefix(host, "[")
		if i := strings.LastIndex(host, "]"); i >= 0 {
			host = host[:i]
		} else if i := strings.LastIndex(host, ":"); i >= 0 {
			host = host[:i]
		}
		a, err := netip.ParseAddr(strings.ReplaceAll(host, "%25", "%"))
		if err != nil || webhook.CheckAddr(a, false) != nil {
			t.Fatalf("CheckURL accepted %q (host %q) though every name is loopback", raw, host)
		}
	})
}
