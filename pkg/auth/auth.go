// Package auth makes and checks the credentials of the system: trust API
// keys, candidate tokens and operator keys. A credential is a random secret
// shown once; only its SHA-256 is stored (the secret has 256 bits, so a fast
// hash is enough), and it is compared in constant time. Each credential says
// whose it is (trust and key id, or candidate id), so that checking it is one
// lookup, and a credential offered for another's resource never matches.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// Prefixes of the credentials, so that a leaked one is recognisable and a
// trust key cannot be mistaken for a candidate token.
const (
	TrustKeyPrefix       = "cjt"
	CandidateTokenPrefix = "cjc"
	OperatorKeyPrefix    = "cjo"
)

// ErrMalformed is a credential that is not of any form the system issues.
var ErrMalformed = errors.New("malformed credential")

// NewSecret returns a random secret of 256 bits and its hash.
func NewSecret() (secret string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Hash(secret)
}

// Hash returns the stored form of a secret.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Matches reports, in time independent of where they differ, whether secret
// hashes to hash.
func Matches(hash []byte, secret string) bool {
	return len(hash) == sha256.Size && subtle.ConstantTimeCompare(hash, Hash(secret)) == 1
}

// Credential is a parsed key or token: whose it is and its secret.
type Credential struct {
	Prefix string
	// Owner is the trust code, candidate id or operator name.
	Owner string
	// KeyID tells a trust's keys apart; empty for candidate tokens.
	KeyID  string
	Secret string
}

// String returns the credential as it is handed out.
func (c Credential) String() string {
	parts := []string{c.Prefix, c.Owner}
	if c.KeyID != "" {
		parts = append(parts, c.KeyID)
	}
	return strings.Join(append(parts, c.Secret), ".")
}

// Parse reads a credential of the form prefix.owner[.keyid].secret.
func Parse(s string) (Credential, error) {
	parts := strings.Split(s, ".")
	if len(s) > 256 || len(parts) < 3 || len(parts) > 4 {
		return Credential{}, ErrMalformed
	}
	c := Credential{Prefix: parts[0], Owner: parts[1], Secret: parts[len(parts)-1]}
	if len(parts) == 4 {
		c.KeyID = parts[2]
	}
	switch {
	case c.Prefix == TrustKeyPrefix && c.KeyID == "",
		c.Prefix != TrustKeyPrefix && c.KeyID != "",
		c.Prefix != TrustKeyPrefix && c.Prefix != CandidateTokenPrefix && c.Prefix != OperatorKeyPrefix,
		c.Owner == "" || len(c.Secret) < 32:
		return Credential{}, ErrMalformed
	}
	return c, nil
}

// Bearer returns the token of an Authorization header "Bearer <token>".
func Bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
