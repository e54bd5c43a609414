package natsauth_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/natsauth"
	"github.com/clinjobs/clinjobs/pkg/secrets"
)

// secured is a server started from the configuration the stack's servers
// use: the accounts `clinjobs secrets init` made, and TLS with the
// certificate it made.
type secured struct {
	ns  *server.Server
	dir string
}

func startSecured(t *testing.T) *secured {
	t.Helper()
	dir := t.TempDir()
	if _, err := secrets.Init(dir); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`
listen: 127.0.0.1:-1
tls {
  cert_file: %q
  key_file: %q
  ca_file: %q
  timeout: 5
}
include "nats/accounts.conf"
jetstream { store_dir: %q }
`, filepath.Join(dir, "nats/server.pem"), filepath.Join(dir, "nats/server-key.pem"),
		filepath.Join(dir, "nats/ca.pem"), filepath.Join(t.TempDir(), "js"))
	path := filepath.Join(dir, "test.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts.NoSigs = true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return &secured{ns: ns, dir: dir}
}

func (s *secured) password(t *testing.T, user string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, user, "nats.password"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func (s *secured) url() string {
	return strings.Replace(s.ns.ClientURL(), "nats://", "tls://", 1)
}

// connect connects as user ("" for none) with the stack's CA.
func (s *secured) connect(t *testing.T, user string, extra ...nats.Option) (*nats.Conn, error) {
	t.Helper()
	// A loaded machine may take a while over a TLS handshake and a bcrypt
	// check: the connection's own time-out, not the test's, is what waits.
	opts := []nats.Option{nats.RootCAs(filepath.Join(s.dir, "ca/ca.pem")), nats.NoReconnect(), nats.Timeout(20 * time.Second)}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, s.password(t, user)), nats.CustomInboxPrefix(bus.InboxPrefix(user)))
	}
	nc, err := nats.Connect(s.url(), append(opts, extra...)...)
	if err == nil {
		t.Cleanup(nc.Close)
	}
	return nc, err
}

// allowed reports whether nc's user may publish (or subscribe to)
// subject: the server answers a refused one with a permissions error naming
// the operation and the subject, before the pong that Flush waits for, so
// LastError names them once Flush returns. (An earlier refusal names
// another operation or subject: every row of the table is different.)
func allowed(t *testing.T, nc *nats.Conn, op, subject string) bool {
	t.Helper()
	var err error
	what := "Publish"
	switch op {
	case "pub":
		err = nc.Publish(subject, nil)
	case "sub":
		what = "Subscription"
		var sub *nats.Subscription
		if sub, err = nc.SubscribeSync(subject); err == nil {
			defer func() { _ = sub.Unsubscribe() }()
		}
	}
	if err != nil {
		t.Fatalf("%s %s: %v", op, subject, err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	err = nc.LastError()
	if err != nil && !errors.Is(err, nats.ErrPermissionViolation) {
		t.Fatalf("%s %s: %v", op, subject, err)
	}
	return err == nil || !strings.Contains(err.Error(), fmt.Sprintf("for %s to %q", what, subject))
}

// TestPermissions: every service may publish and subscribe to what its
// work needs, and not to what another service's work is. Each row is a
// subject and the users that may use it; every other user is refused.
func TestPermissions(t *testing.T) {
	t.Parallel()
	s := startSecured(t)
	const (
		in = natsauth.Ingest
		ma = natsauth.Matching
		no = natsauth.Notification
		da = natsauth.Dashboard
	)
	cases := []struct {
		op, subject string
		who         []string
	}{
		// Operator actions: only the dashboard asks for them.
		{"pub", "clinjobs.ingest.trusts.keys.issue", []string{da}},
		{"pub", "clinjobs.ingest.trusts.create", []string{da}},
		{"pub", "clinjobs.ingest.vacancies.withdraw", []string{da}},
		{"pub", "clinjobs.notification.deadletters.replay", []string{da}},
		{"pub", "clinjobs.notification.endpoints.pause", []string{da}},
		{"pub", "clinjobs.matching.cache.rebuild", []string{da}},
		{"pub", "$SRV.INFO", []string{da}},
		// What ingest asks of the others, for a trust's statistics and a
		// candidate's export.
		{"pub", "clinjobs.matching.counts", []string{in, da}},
		{"pub", "clinjobs.matching.candidate.export", []string{in}},
		{"pub", "clinjobs.notification.alerted", []string{in}},
		{"pub", "clinjobs.notification.candidate.export", []string{in}},
		// Each service answers its own control subjects, and discovery.
		{"sub", "clinjobs.ingest.trusts.keys.issue", []string{in}},
		{"sub", "clinjobs.matching.counts", []string{ma}},
		{"sub", "clinjobs.notification.alerted", []string{no}},
		{"sub", "clinjobs.>", nil},
		{"sub", "$SRV.PING", []string{in, ma, no, da}},
		// Records: only ingest writes trusts, vacancies and profiles.
		{"pub", "$KV.vacancies.v1", []string{in}},
		{"pub", "$KV.trusts.RJ1", []string{in}},
		{"pub", "$KV.candidates.3", []string{in}},
		{"pub", "$KV.idempotency.k", []string{in}},
		// Events: matches from matching, alerts and deliveries from
		// notification, the audit log from the dashboard.
		{"pub", "matches.found.c1", []string{ma}},
		{"pub", "alerts.delivered.webhook.c1", []string{no}},
		{"pub", "deliveries.webhook.s1", []string{no}},
		{"pub", "live.c1", []string{no}},
		{"pub", "reminders.at.k", []string{no}},
		{"pub", "$KV.subscriptions.c1", []string{no}},
		{"pub", "$KV.notification-keys.k", []string{no}},
		{"pub", "audit.trusts.create", []string{da}},
		// Reading records.
		{"pub", "$JS.API.DIRECT.GET.KV_vacancies.$KV.vacancies.v1", []string{in, ma, no, da}},
		{"pub", "$JS.API.STREAM.MSG.GET.KV_trusts", []string{in}},
		{"pub", "$JS.API.STREAM.MSG.GET.KV_candidates", []string{in, ma, no}},
		{"pub", "$JS.API.STREAM.MSG.GET.KV_notification-keys", []string{no}},
		{"pub", "$JS.API.CONSUMER.CREATE.MATCHES.notification-matches", []string{no, da}},
		{"pub", "$JS.API.CONSUMER.MSG.NEXT.DELIVERIES.notification-deliveries", []string{no}},
		{"pub", "$JS.API.CONSUMER.CREATE.AUDIT.x.audit.>", []string{da}},
		{"pub", "$JS.ACK.DELIVERIES.notification-deliveries.1.2.3.4.5", []string{no}},
		// Declaring: every service the shared streams, each its own.
		{"pub", "$JS.API.STREAM.UPDATE.KV_vacancies", []string{in, ma, no, da}},
		{"pub", "$JS.API.STREAM.CREATE.DELIVERIES", []string{no}},
		{"pub", "$JS.API.STREAM.CREATE.AUDIT", []string{da}},
		// Destroying: nobody deletes a stream; only erasure purges.
		{"pub", "$JS.API.STREAM.DELETE.AUDIT", nil},
		{"pub", "$JS.API.STREAM.DELETE.KV_trusts", nil},
		{"pub", "$JS.API.STREAM.PURGE.AUDIT", nil},
		{"pub", "$JS.API.STREAM.PURGE.KV_candidates", nil},
		{"pub", "$JS.API.STREAM.PURGE.MATCHES", []string{no}},
		{"pub", "$JS.API.STREAM.MSG.DELETE.AUDIT", nil},
		{"pub", "$JS.API.CONSUMER.DELETE.DELIVERIES.notification-deliveries", []string{no}},
		// The dashboard's view of the flow: information, never messages.
		{"pub", "$JS.API.STREAM.LIST", []string{da}},
		{"pub", "$JS.API.CONSUMER.LIST.DELIVERIES", []string{no, da}},
		{"pub", "$JS.API.STREAM.MSG.GET.DELIVERIES", []string{no}},
		// Inboxes: each reads only its own replies.
		{"sub", "_INBOX.>", nil},
		{"sub", "_INBOX_ingest.>", []string{in}},
		{"sub", "_INBOX_dashboard.x", []string{da}},
		{"sub", ">", nil},
		// Nobody reaches the system account.
		{"pub", "$SYS.REQ.SERVER.PING", nil},
	}
	for _, user := range natsauth.Users {
		t.Run(user, func(t *testing.T) {
			t.Parallel()
			// The refusals are expected: not printed as the default handler does.
			nc, err := s.connect(t, user, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
			if err != nil {
				t.Fatalf("connect as %s: %v", user, err)
			}
			for _, c := range cases {
				want := false
				for _, w := range c.who {
					want = want || w == user
				}
				if got := allowed(t, nc, c.op, c.subject); got != want {
					t.Errorf("%s %s %s: allowed %v, want %v", user, c.op, c.subject, got, want)
				}
			}
		})
	}
}

// TestRefused: a client without credentials, with a wrong password, or
// without TLS is refused, and one that does not trust the stack's CA
// refuses the server.
func TestRefused(t *testing.T) {
	t.Parallel()
	s := startSecured(t)
	plain := strings.Replace(s.url(), "tls://", "nats://", 1)
	good := nats.UserInfo(natsauth.Ingest, s.password(t, natsauth.Ingest))
	cases := []struct {
		name string
		url  string
		opts []nats.Option
	}{
		{"no credentials", s.url(), []nats.Option{nats.RootCAs(filepath.Join(s.dir, "ca/ca.pem"))}},
		{"wrong password", s.url(), []nats.Option{nats.RootCAs(filepath.Join(s.dir, "ca/ca.pem")), nats.UserInfo(natsauth.Ingest, "guess")}},
		{"another's password", s.url(), []nats.Option{nats.RootCAs(filepath.Join(s.dir, "ca/ca.pem")),
			nats.UserInfo(natsauth.Dashboard, s.password(t, natsauth.Ingest))}},
		{"plaintext", plain, []nats.Option{good}},
		{"CA not trusted", s.url(), []nats.Option{good, nats.Secure()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			nc, err := nats.Connect(c.url, append(c.opts, nats.NoReconnect(), nats.Timeout(5*time.Second))...)
			if err == nil {
				nc.Close()
				t.Fatal("connected")
			}
		})
	}
	// The right credentials over TLS connect.
	if _, err := s.connect(t, natsauth.Ingest); err != nil {
		t.Fatalf("ingest with its password: %v", err)
	}
}

// TestInit: running it again changes nothing; removing a password and
// running it again makes a new one and a new server configuration.
func TestInit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	made, err := secrets.Init(dir)
	if err != nil || len(made) == 0 {
		t.Fatalf("first run made %v, %v", made, err)
	}
	if made, err := secrets.Init(dir); err != nil || len(made) != 0 {
		t.Fatalf("second run made %v, %v; want nothing", made, err)
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "nats/accounts.conf"))
	old, _ := os.ReadFile(filepath.Join(dir, "matching/nats.password"))
	if strings.Contains(string(conf), strings.TrimSpace(string(old))) {
		t.Fatal("the server configuration holds a password, not its hash")
	}
	if err := os.Remove(filepath.Join(dir, "matching/nats.password")); err != nil {
		t.Fatal(err)
	}
	made, err = secrets.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := os.ReadFile(filepath.Join(dir, "matching/nats.password"))
	newConf, _ := os.ReadFile(filepath.Join(dir, "nats/accounts.conf"))
	if string(fresh) == string(old) || string(newConf) == string(conf) {
		t.Fatalf("rotation made %v: the password or configuration did not change", made)
	}
	if info, err := os.Stat(filepath.Join(dir, "ca/ca-key.pem")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the CA's key: %v %v, want mode 0600", info, err)
	}
}
