// Package natsauth says who may do what on the bus: one NATS user a service,
// each allowed to publish and subscribe only to the subjects its work needs
// (its own streams' and buckets' JetStream API subjects among them), and
// the server configuration that declares them. The compose stack's servers
// and the all-in-one's embedded server load the configuration made here,
// and its tests check it subject by subject.
package natsauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clinjobs/clinjobs/pkg/bus"
)

// The users, one a service.
const (
	Ingest       = "ingest"
	Matching     = "matching"
	Notification = "notification"
	Dashboard    = "dashboard"
)

// Account holds every service's user and every stream and bucket.
const Account = "CLINJOBS"

// Users are every service's user, in a fixed order.
var Users = []string{Ingest, Matching, Notification, Dashboard}

// Streams and buckets a single service owns. They are named here rather
// than imported so that this package does not depend on the services.
const (
	bucketGazetteer     = "gazetteer"
	bucketIdempotency   = "idempotency"
	streamAudit         = "AUDIT"
	streamDeliveries    = "DELIVERIES"
	streamLive          = "LIVE"
	streamReminders     = "REMINDERS"
	notificationPrefix  = "clinjobs.notification."
	matchingPrefix      = "clinjobs.matching."
	ingestControlPrefix = "clinjobs.ingest."
)

// notificationBuckets are notification's own buckets.
var notificationBuckets = []string{"subscriptions", "alerts", "digests", "deadletters", "endpoints", "delivery-state", "notification-keys"}

// Permissions are the subjects a user may publish and subscribe to.
type Permissions struct {
	Publish   []string
	Subscribe []string
}

// stream is what a user may do with one stream.
type stream struct {
	name string
	// declare: create it or bring it to its configuration (every service
	// declares the shared streams it touches, so none waits for another).
	declare bool
	// read: its information, its messages, consumers of it.
	read bool
	// purge: remove messages from it (erasure, idempotency records).
	purge bool
	// write: the subjects it stores, published to.
	write []string
}

func kv(bucket string, declare, read, write bool) stream {
	s := stream{name: bus.KVStream(bucket), declare: declare, read: read}
	if write {
		s.write = []string{bus.KVSubjects(bucket)}
	}
	return s
}

// shared are the streams and buckets that every service declares
// (bus.EnsureShared): declaring is all that this grants.
func shared() []stream {
	return []stream{
		kv(bus.BucketTrusts, true, false, false),
		kv(bus.BucketVacancies, true, false, false),
		kv(bus.BucketCandidates, true, false, false),
		{name: bus.StreamMatches, declare: true},
		{name: bus.StreamAlerts, declare: true},
	}
}

// user is the whole grant of one service.
type user struct {
	streams []stream
	// requests are the control subjects it may send requests to.
	requests []string
	// serves are the control subjects it answers (subscribes to).
	serves []string
	// readAll: it may read every stream's and consumer's information (not
	// their messages): the dashboard's view of the flow.
	readAll bool
}

func grants() map[string]user {
	return map[string]user{
		Ingest: {
			streams: append(shared(),
				kv(bus.BucketTrusts, false, true, true),
				kv(bus.BucketVacancies, false, true, true),
				kv(bus.BucketCandidates, false, true, true),
				kv(bucketGazetteer, true, true, true),
				kv(bucketIdempotency, true, true, true),
			),
			requests: []string{
				matchingPrefix + "counts", matchingPrefix + "candidate.export",
				notificationPrefix + "alerted", notificationPrefix + "candidate.export",
			},
			serves: []string{ingestControlPrefix + ">"},
		},
		Matching: {
			streams: append(shared(),
				kv(bus.BucketVacancies, false, true, false),
				kv(bus.BucketCandidates, false, true, false),
				stream{name: bus.StreamMatches, write: []string{"matches.>"}},
			),
			serves: []string{matchingPrefix + ">"},
		},
		Notification: {
			streams: append(append(shared(),
				kv(bus.BucketVacancies, false, true, false),
				kv(bus.BucketCandidates, false, true, false),
				// Erasure removes a candidate's matches and alerts.
				stream{name: bus.StreamMatches, read: true, purge: true},
				stream{name: bus.StreamAlerts, read: true, purge: true, write: []string{"alerts.>"}},
				stream{name: streamDeliveries, declare: true, read: true, purge: true, write: []string{"deliveries.>"}},
				stream{name: streamLive, declare: true, read: true, purge: true, write: []string{"live.>"}},
				stream{name: streamReminders, declare: true, read: true, purge: true, write: []string{"reminders.>"}},
			), notificationStreams()...),
			serves: []string{notificationPrefix + ">"},
		},
		Dashboard: {
			streams: append(shared(),
				kv(bus.BucketVacancies, false, true, false),
				stream{name: bus.StreamMatches, read: true},
				stream{name: bus.StreamAlerts, read: true},
				stream{name: streamAudit, declare: true, read: true, write: []string{"audit.>"}},
			),
			requests: []string{
				ingestControlPrefix + "trusts.create", ingestControlPrefix + "trusts.list",
				ingestControlPrefix + "trusts.keys.issue", ingestControlPrefix + "trusts.keys.revoke",
				ingestControlPrefix + "vacancies.withdraw", ingestControlPrefix + "imports.runs",
				notificationPrefix + "deadletters.list", notificationPrefix + "deadletters.replay",
				notificationPrefix + "endpoints.list", notificationPrefix + "endpoints.pause",
				notificationPrefix + "endpoints.resume",
				matchingPrefix + "counts", matchingPrefix + "cache.rebuild", matchingPrefix + "market",
				// Discovery of every service's replicas and their statistics.
				"$SRV.PING", "$SRV.INFO", "$SRV.STATS",
			},
			readAll: true,
		},
	}
}

func notificationStreams() []stream {
	var out []stream
	for _, b := range notificationBuckets {
		out = append(out, kv(b, true, true, true))
	}
	return out
}

// For returns the permissions of a service's user; ok is false for an
// unknown user.
func For(name string) (Permissions, bool) {
	g, ok := grants()[name]
	if !ok {
		return Permissions{}, false
	}
	var p Permissions
	pub := func(s ...string) { p.Publish = append(p.Publish, s...) }
	sub := func(s ...string) { p.Subscribe = append(p.Subscribe, s...) }
	// Account information, and replies only to its own inboxes.
	pub("$JS.API.INFO")
	sub(bus.InboxPrefix(name) + ".>")
	// The services framework: every service answers discovery.
	sub("$SRV.>")
	for _, s := range g.streams {
		api := "$JS.API."
		if s.declare {
			pub(api+"STREAM.CREATE."+s.name, api+"STREAM.UPDATE."+s.name, api+"STREAM.INFO."+s.name)
		}
		if s.read {
			pub(api+"STREAM.INFO."+s.name,
				api+"STREAM.MSG.GET."+s.name,
				api+"DIRECT.GET."+s.name, api+"DIRECT.GET."+s.name+".>",
				api+"CONSUMER.CREATE."+s.name, api+"CONSUMER.CREATE."+s.name+".>",
				api+"CONSUMER.DURABLE.CREATE."+s.name+".*",
				api+"CONSUMER.INFO."+s.name+".*",
				api+"CONSUMER.DELETE."+s.name+".*",
				api+"CONSUMER.MSG.NEXT."+s.name+".*",
				api+"CONSUMER.LIST."+s.name, api+"CONSUMER.NAMES."+s.name,
				// Acknowledgements and flow control of its consumers, in
				// the server's first and second formats.
				"$JS.ACK."+s.name+".>", "$JS.ACK.*.*."+s.name+".>",
				"$JS.FC."+s.name+".>", "$JS.FC.*.*."+s.name+".>")
		}
		if s.purge {
			pub(api+"STREAM.PURGE."+s.name, api+"STREAM.MSG.DELETE."+s.name)
		}
		pub(s.write...)
	}
	if g.readAll {
		pub("$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*",
			"$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.LIST.*", "$JS.API.CONSUMER.INFO.*.*")
	}
	pub(g.requests...)
	sub(g.serves...)
	p.Publish = dedupe(p.Publish)
	p.Subscribe = dedupe(p.Subscribe)
	return p, true
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// ServerConfig returns the accounts block of a server's configuration:
// the one account with every service's user, by the hash of its password
// (bcrypt, as hashes maps user to hash). A user missing from hashes is
// an error: no user is ever left without a password.
func ServerConfig(hashes map[string]string) (string, error) {
	var b strings.Builder
	b.WriteString("# Made by `clinjobs secrets init`: every service's NATS user and what it\n")
	b.WriteString("# may publish and subscribe to (pkg/natsauth). Do not edit; run it again.\n")
	fmt.Fprintf(&b, "accounts {\n  %s {\n    jetstream: enabled\n    users: [\n", Account)
	for _, name := range Users {
		hash, ok := hashes[name]
		if !ok || !strings.HasPrefix(hash, "$2") {
			return "", fmt.Errorf("nats server config: no bcrypt hash for user %s", name)
		}
		p, _ := For(name)
		fmt.Fprintf(&b, "      {\n        user: %q\n        password: %q\n        permissions: {\n", name, hash)
		fmt.Fprintf(&b, "          publish: {allow: %s}\n", list(p.Publish))
		fmt.Fprintf(&b, "          subscribe: {allow: %s}\n", list(p.Subscribe))
		// A service answers the control requests it receives, whatever
		// inbox they came from; it may publish nowhere else.
		b.WriteString("          allow_responses: true\n        }\n      }\n")
	}
	b.WriteString("    ]\n  }\n}\n")
	return b.String(), nil
}

func list(subjects []string) string {
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
