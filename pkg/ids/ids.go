// Package ids makes the identifiers of the system: short, URL- and
// subject-safe (lower-case letters and digits only), random or derived.
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix followed by 20 random characters (100 bits).
func New(prefix string) string {
	var b [13]byte
	_, _ = rand.Read(b[:])
	return prefix + enc.EncodeToString(b[:])[:20]
}

// Derived returns prefix followed by 20 characters derived from parts, the
// same every time: an id that two writers of the same thing agree on.
func Derived(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + enc.EncodeToString(h.Sum(nil))[:20]
}

// Valid reports whether id has the form New and Derived give it.
func Valid(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) != 20 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
