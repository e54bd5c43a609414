package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/webhook"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	refused := []string{
		"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250",
		"255.255.255.255", "240.0.0.1", "192.0.2.10", "198.18.0.1",
		"::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd00:ec2::254", "ff02::1", "2001:db8::1",
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1",
		"64:ff9b::a9fe:a9fe",
	}
	allowed := []string{"8.8.8.8", "81.144.0.1", "151.101.0.1", "2a00:1450:4009:81f::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"}
	for _, s := range refused {
		a := netip.MustParseAddr(s)
		if err := webhook.CheckAddr(a, false); !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("CheckAddr(%s) = %v, want refused", s, err)
		}
		if err := webhook.CheckAddr(a, true); err != nil {
			t.Errorf("CheckAddr(%s) with private allowed = %v", s, err)
		}
	}
	for _, s := range allowed {
		if err := webhook.CheckAddr(netip.MustParseAddr(s), false); err != nil {
			t.Errorf("CheckAddr(%s) = %v, want allowed", s, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://93.184.215.14/hooks", false, true},
		{"http://[2a00:1450:4009:81f::200e]:8443/x", false, true},
		{"ftp://93.184.215.14/", false, false},
		{"https://user:pw@93.184.215.14/", false, false},
		{"/relative", false, false},
		{"https://127.0.0.1/hooks", false, false},
		{"https://127.0.0.1/hooks", true, true},
		{"https://[::ffff:10.0.0.1]/", false, false},
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"https://localhost/hooks", false, false},
		{"https://api.localhost/hooks", false, false},
		{"https://metadata.google.internal/", false, false},
		{"https://printer.local/", false, false},
		{"https://93.184.215.14:0/", false, false},
		{"https://93.184.215.14:70000/", false, false},
		{"https://" + strings.Repeat("a", 2050) + ".org/", false, false},
	}
	for _, tt := range tests {
		err := webhook.CheckURL(context.Background(), tt.url, tt.allowPrivate, nil)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%.60q, private %v) = %v, want ok %v", tt.url, tt.allowPrivate, err, tt.ok)
		}
	}
}

func TestClientRefusesInternalAddressesAtConnect(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]

	// Both the literal address and a name that resolves to it are refused:
	// the check is on the address dialled, after resolution.
	strict := webhook.NewClient(webhook.ClientConfig{})
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		resp, err := strict.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("POST %s succeeded", u)
		}
		if !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Fatalf("POST %s: %v, want ErrForbiddenAddress", u, err)
		}
	}

	open := webhook.NewClient(webhook.ClientConfig{AllowPrivate: true})
	resp, err := open.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("with private targets allowed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestClientRedirects(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, srv.URL+"/loop", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(srv.Close)
	client := webhook.NewClient(webhook.ClientConfig{AllowPrivate: true, MaxRedirects: 2})
	for _, path := range []string{"/file", "/loop"} {
		resp, err := client.Get(srv.URL + path)
		if err == nil {
			resp.Body.Close()
			t.Errorf("GET %s followed its redirects", path)
		}
	}
}
