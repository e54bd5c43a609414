// Package catalog holds every word the web pages show, by key, one file a
// language, so that Welsh (or any language) is added as a file of
// translations without touching a template. A file is lines of
// "key = text"; text may hold fmt verbs for the values a page fills in.
package catalog

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed messages/*.txt
var files embed.FS

// Catalog is the messages of one language.
type Catalog struct {
	lang string
	msgs map[string]string
}

// New returns the catalogue of lang ("en"; the only one written so far).
func New(lang string) (*Catalog, error) {
	data, err := files.ReadFile("messages/" + lang + ".txt")
	if err != nil {
		return nil, fmt.Errorf("catalogue %q: %w", lang, err)
	}
	c := &Catalog{lang: lang, msgs: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("catalogue %s line %d: want key = text", lang, n)
		}
		k = strings.TrimSpace(k)
		if _, dup := c.msgs[k]; dup {
			return nil, fmt.Errorf("catalogue %s line %d: %s given twice", lang, n, k)
		}
		c.msgs[k] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", lang, err)
	}
	return c, nil
}

// Lang is the catalogue's language, for the pages' lang attribute.
func (c *Catalog) Lang() string { return c.lang }

// T returns the text of key, filled in with args. A missing key comes back
// as itself, bracketed, so that it shows on the page and in tests
// (TestEveryKeyIsWritten fails on it) rather than an empty space.
func (c *Catalog) T(key string, args ...any) string {
	s, ok := c.msgs[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is written.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs[key]
	return ok
}

// Keys returns every key, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.msgs))
	for k := range c.msgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
