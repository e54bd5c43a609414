package e2etest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/clinjobs/clinjobs/pkg/bus"
)

// NATSAs returns the options of a connection as a service's user, with the
// secrets `clinjobs secrets init` made in dir: its password, the stack's
// CA, its own inboxes. The dashboard's user reads every stream's and
// consumer's state, which Settled needs.
func NATSAs(t testing.TB, dir, user string) []nats.Option {
	t.Helper()
	pw, err := os.ReadFile(filepath.Join(dir, user, "nats.password"))
	if err != nil {
		t.Fatalf("nats credentials: %v", err)
	}
	return []nats.Option{
		nats.UserInfo(user, strings.TrimSpace(string(pw))),
		nats.RootCAs(filepath.Join(dir, "ca", "ca.pem")),
		nats.CustomInboxPrefix(bus.InboxPrefix(user)),
	}
}
