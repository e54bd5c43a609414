// Package secrets makes the secrets a deployment of the stack needs, in a
// directory of its own, so that none has a default: the operator key, a
// NATS password for every service (and the servers' accounts
// configuration holding only their bcrypt hashes), a local certificate
// authority and the NATS servers' certificate. Init makes what is missing
// and leaves what exists, so running it again is safe, and removing a file
// and running it again rotates that secret.
//
// The directory's layout, each part mounted into the containers that need
// it and nothing else:
//
//	ca/ca.pem, ca/ca-key.pem           the local CA (its key stays here)
//	nats/ca.pem, server.pem, server-key.pem, accounts.conf
//	                                   for the NATS servers
//	<service>/nats.password, ca.pem    for each service (ingest, matching,
//	                                   notification, dashboard)
//	<service>/redis.password           for ingest, matching, dashboard
//	redis/users.acl                    for Redis: a user a service, its
//	                                   password's SHA-256 only
//	ingest/operator.key, dashboard/operator.key
//	operator.key                       the operator key, for the operator
package secrets

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/clinjobs/clinjobs/pkg/natsauth"
)

// ServerNames are the names the NATS servers' certificate is valid for:
// the compose stack's nodes, the single node of the system test, and this
// machine.
var ServerNames = []string{"nats-1", "nats-2", "nats-3", "nats", "localhost"}

// certValidity is how long the certificates made here last.
const certValidity = 2 * 365 * 24 * time.Hour

// Init makes every secret missing from dir, and the files made from them,
// and returns the names of what it made.
func Init(dir string) ([]string, error) {
	return initDir(dir, true)
}

// InitNATS makes only the NATS part of what Init makes (the CA, the
// server's certificate, the services' passwords and the accounts): the
// all-in-one's embedded server, whose operator key is kept on its own
// and which has no Redis of its own.
func InitNATS(dir string) ([]string, error) {
	return initDir(dir, false)
}

func initDir(dir string, all bool) ([]string, error) {
	m := &maker{dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	if all {
		if err := m.operatorKey(); err != nil {
			return m.made, fmt.Errorf("secrets: %w", err)
		}
	}
	if err := m.nats(); err != nil {
		return m.made, fmt.Errorf("secrets: %w", err)
	}
	if all {
		if err := m.redis(); err != nil {
			return m.made, fmt.Errorf("secrets: %w", err)
		}
	}
	return m.made, nil
}

type maker struct {
	dir  string
	made []string
}

func (m *maker) path(name string) string { return filepath.Join(m.dir, name) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// write writes a file the containers read: they run as another user, so it
// is readable by all in a directory only its owner can list from outside
// (dir is 0700).
func (m *maker) write(name string, data []byte, mode os.FileMode) error {
	path := m.path(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	m.made = append(m.made, name)
	return nil
}

// operatorKey makes the operator key, and the copies its two services read.
func (m *maker) operatorKey() error {
	key, err := m.keep("operator.key", func() ([]byte, error) { return []byte("cjo." + random(32) + "\n"), nil })
	if err != nil {
		return err
	}
	for _, svc := range []string{natsauth.Ingest, natsauth.Dashboard} {
		if err := m.copyIfDifferent(svc+"/operator.key", key); err != nil {
			return err
		}
	}
	return nil
}

// nats makes the CA, the servers' certificate, the passwords and the
// accounts.
func (m *maker) nats() error {
	// The CA; a new CA means a new server certificate.
	newCA := !exists(m.path("ca/ca.pem")) || !exists(m.path("ca/ca-key.pem"))
	if newCA {
		if err := m.makeCA(); err != nil {
			return err
		}
	}
	caPEM, err := os.ReadFile(m.path("ca/ca.pem"))
	if err != nil {
		return err
	}
	if newCA || !exists(m.path("nats/server.pem")) || !exists(m.path("nats/server-key.pem")) {
		if err := m.makeServerCert("nats/server", ServerNames); err != nil {
			return err
		}
	}
	if err := m.copyIfDifferent("nats/ca.pem", caPEM); err != nil {
		return err
	}
	// A password for every service; the server's configuration made again
	// whenever one is new.
	passwords, made, err := m.passwords(natsauth.Users, "nats.password")
	if err != nil {
		return err
	}
	for _, svc := range natsauth.Users {
		if err := m.copyIfDifferent(svc+"/ca.pem", caPEM); err != nil {
			return err
		}
	}
	if made || !exists(m.path("nats/accounts.conf")) {
		conf, err := AccountsConfig(passwords)
		if err != nil {
			return err
		}
		if err := m.write("nats/accounts.conf", []byte(conf), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// passwords keeps a password for each user in <user>/<file>, making those
// that are missing, and says whether it made any (the servers' files of
// hashes must then be made again).
func (m *maker) passwords(users []string, file string) (map[string]string, bool, error) {
	out := map[string]string{}
	made := false
	for _, user := range users {
		name := user + "/" + file
		if !exists(m.path(name)) {
			made = true
		}
		pw, err := m.keep(name, func() ([]byte, error) { return []byte(random(32) + "\n"), nil })
		if err != nil {
			return nil, false, err
		}
		out[user] = strings.TrimSpace(string(pw))
	}
	return out, made, nil
}

// redis makes the Redis passwords and the ACL file.
func (m *maker) redis() error {
	redisPasswords, made, err := m.passwords(RedisUsers, "redis.password")
	if err != nil {
		return err
	}
	if made || !exists(m.path("redis/users.acl")) {
		if err := m.write("redis/users.acl", []byte(RedisACL(redisPasswords)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// RedisUsers are the services that use Redis, each its own user.
var RedisUsers = []string{natsauth.Ingest, natsauth.Matching, natsauth.Dashboard}

// redisRules are what each service may do in Redis: its own keys and the
// commands its work needs, nothing that flushes or reconfigures the
// server.
var redisRules = map[string]string{
	// The rate limiter: a counting script over its own keys.
	natsauth.Ingest: "~cj:rl:ingest:* resetchannels -@all +@connection +eval +evalsha +incr +pexpire +pttl",
	// The match cache: sorted sets, sets, scripts and transactions over
	// its own keys, and SCAN to clear them.
	natsauth.Matching: "~cj:m:* resetchannels -@all +@connection +@read +@write +@keyspace +@scripting +@transaction -@dangerous",
	// The dashboard reads the server's INFO and no key.
	natsauth.Dashboard: "resetchannels -@all +@connection +info",
}

// RedisACL returns Redis's ACL file for these passwords (by user): the
// default user may only PING (the health check, which has no password to
// give), every service's user only its own keys and commands.
func RedisACL(passwords map[string]string) string {
	var b strings.Builder
	b.WriteString("user default on nopass resetkeys resetchannels -@all +ping\n")
	for _, user := range RedisUsers {
		sum := sha256.Sum256([]byte(passwords[user]))
		fmt.Fprintf(&b, "user %s on #%s resetkeys %s\n", user, hex.EncodeToString(sum[:]), redisRules[user])
	}
	return b.String()
}

// AccountsConfig returns the NATS servers' accounts configuration for
// these passwords (by user), holding only their bcrypt hashes.
func AccountsConfig(passwords map[string]string) (string, error) {
	hashes := map[string]string{}
	for user, pw := range passwords {
		// The server checks a bcrypt password on every connection: the
		// lowest allowed cost keeps a reconnecting fleet cheap, and the
		// passwords are long random strings, not guessable words.
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost+1)
		if err != nil {
			return "", fmt.Errorf("hash the password of %s: %w", user, err)
		}
		hashes[user] = string(h)
	}
	return natsauth.ServerConfig(hashes)
}

// keep returns the content of name, making it with make when missing.
func (m *maker) keep(name string, make func() ([]byte, error)) ([]byte, error) {
	data, err := os.ReadFile(m.path(name))
	if err == nil {
		return data, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if data, err = make(); err != nil {
		return nil, err
	}
	return data, m.write(name, data, 0o644)
}

func (m *maker) copyIfDifferent(name string, data []byte) error {
	if have, err := os.ReadFile(m.path(name)); err == nil && bytes.Equal(have, data) {
		return nil
	}
	return m.write(name, data, 0o644)
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}

func (m *maker) makeCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Clinical Engineering Jobs local CA " + random(4)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("make the CA: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	// The CA's key is never mounted anywhere: only its owner reads it.
	if err := m.write("ca/ca-key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return m.write("ca/ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// makeServerCert makes a certificate for names, signed by the CA, good
// for serving and for the routes between servers (which are clients of
// each other).
func (m *maker) makeServerCert(base string, names []string) error {
	caCert, caKey, err := m.loadCA()
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("make the certificate of %s: %w", base, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := m.write(base+"-key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o644); err != nil {
		return err
	}
	return m.write(base+".pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func (m *maker) loadCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(m.path("ca/ca.pem"))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(m.path("ca/ca-key.pem"))
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("the CA's files are not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("the CA's certificate: %w", err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("the CA's key: %w", err)
	}
	return cert, key, nil
}
