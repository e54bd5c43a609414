// Package config reads settings from the environment. A Reader collects every
// malformed value instead of stopping at the first, so an operator sees all
// that is wrong with a deployment in one start-up error.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Lookup finds an environment variable; os.LookupEnv is one.
type Lookup func(key string) (string, bool)

// Map is a Lookup over a fixed set of values, for tests.
func Map(m map[string]string) Lookup {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

// Reader reads typed values through a Lookup, remembering what was malformed.
type Reader struct {
	lookup Lookup
	errs   []error
}

// NewReader returns a Reader over lookup.
func NewReader(lookup Lookup) *Reader {
	return &Reader{lookup: lookup}
}

// get returns the value of key, or else the content of the file that
// KEY_FILE names: a secret handed to a container as a file (a mounted
// secret) is read the same way as one in a variable. Both set is an error,
// so that no one wonders which of two secrets is in use.
func (r *Reader) get(key string) (string, bool) {
	v, ok := r.lookup(key)
	v = strings.TrimSpace(v)
	path, fromFile := r.lookup(key + "_FILE")
	path = strings.TrimSpace(path)
	if !fromFile || path == "" {
		return v, ok && v != ""
	}
	if ok && v != "" {
		r.fail(key+"_FILE", path, fmt.Errorf("%s is set too: set one of them", key))
		return v, true
	}
	data, err := os.ReadFile(path)
	if err != nil {
		r.fail(key+"_FILE", path, err)
		return "", false
	}
	v = strings.TrimSpace(string(data))
	if v == "" {
		r.fail(key+"_FILE", path, errors.New("the file is empty"))
	}
	return v, v != ""
}

func (r *Reader) fail(key, value string, err error) {
	r.errs = append(r.errs, fmt.Errorf("%s=%q: %w", key, value, err))
}

// String returns the value of key, or def when it is unset or empty.
func (r *Reader) String(key, def string) string {
	if v, ok := r.get(key); ok {
		return v
	}
	return def
}

// List returns the comma-separated values of key, or def when unset.
func (r *Reader) List(key string, def []string) []string {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Int returns the integer value of key, or def.
func (r *Reader) Int(key string, def int) int {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, v, errors.New("not an integer"))
		return def
	}
	return n
}

// Bool returns the boolean value of key (true, false, 1, 0, yes, no), or def.
func (r *Reader) Bool(key string, def bool) bool {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	r.fail(key, v, errors.New("not a boolean"))
	return def
}

// Duration returns the duration value of key (such as 5s or 2m), or def.
func (r *Reader) Duration(key string, def time.Duration) time.Duration {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(key, v, errors.New("not a duration"))
		return def
	}
	return d
}

// Durations returns the comma-separated durations of key (such as
// 10s,1m,5m), or def when unset. A list with a malformed or non-positive
// entry is an error, not a shorter list.
func (r *Reader) Durations(key string, def []time.Duration) []time.Duration {
	items := r.List(key, nil)
	if items == nil {
		return def
	}
	out := make([]time.Duration, 0, len(items))
	for _, s := range items {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			r.fail(key, s, errors.New("not a positive duration"))
			return def
		}
		out = append(out, d)
	}
	return out
}

// Err returns every malformed value read so far, joined, or nil.
func (r *Reader) Err() error {
	return errors.Join(r.errs...)
}
