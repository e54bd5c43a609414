package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/config"
)

func TestReader(t *testing.T) {
	t.Parallel()
	r := config.NewReader(config.Map(map[string]string{
		"NAME":    " ingest ",
		"URLS":    "nats://a:4222, nats://b:4222,,",
		"COUNT":   "7",
		"ON":      "yes",
		"WAIT":    "250ms",
		"EMPTY":   "",
		"BADINT":  "seven",
		"BADBOOL": "perhaps",
		"RETRIES": "2s, 1m",
		"BADLIST": "2s,soon",
		"NEGLIST": "2s,-1s",
	}))
	if got := r.String("NAME", "x"); got != "ingest" {
		t.Errorf("String = %q", got)
	}
	if got := r.String("EMPTY", "def"); got != "def" {
		t.Errorf("String(empty) = %q, want the default", got)
	}
	if got := r.List("URLS", nil); strings.Join(got, " ") != "nats://a:4222 nats://b:4222" {
		t.Errorf("List = %q", got)
	}
	if got := r.Int("COUNT", 1); got != 7 {
		t.Errorf("Int = %d", got)
	}
	if got := r.Bool("ON", false); !got {
		t.Error("Bool = false")
	}
	if got := r.Duration("WAIT", time.Second); got != 250*time.Millisecond {
		t.Errorf("Duration = %s", got)
	}
	if got := r.Durations("RETRIES", nil); len(got) != 2 || got[0] != 2*time.Second || got[1] != time.Minute {
		t.Errorf("Durations = %v", got)
	}
	if got := r.Durations("MISSING", []time.Duration{time.Hour}); len(got) != 1 || got[0] != time.Hour {
		t.Errorf("Durations(missing) = %v, want the default", got)
	}
	if got := r.Int("MISSING", 3); got != 3 {
		t.Errorf("Int(missing) = %d", got)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Err before bad values = %v", err)
	}
	r.Int("BADINT", 0)
	r.Bool("BADBOOL", false)
	r.Durations("BADLIST", nil)
	r.Durations("NEGLIST", nil)
	err := r.Err()
	if err == nil || !strings.Contains(err.Error(), "BADINT") || !strings.Contains(err.Error(), "BADBOOL") ||
		!strings.Contains(err.Error(), "BADLIST") || !strings.Contains(err.Error(), "NEGLIST") {
		t.Fatalf("Err = %v, want every bad key named", err)
	}
}

// TestReaderFile: a secret is read from the file KEY_FILE names, trimmed;
// a missing or empty file, or both KEY and KEY_FILE set, is an error.
func TestReaderFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("key", "s3cret-from-file\n")
	empty := write("empty", "  \n")
	cases := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"file", map[string]string{"KEY_FILE": good}, "s3cret-from-file", false},
		{"variable", map[string]string{"KEY": "plain"}, "plain", false},
		{"neither", map[string]string{}, "def", false},
		{"both", map[string]string{"KEY": "plain", "KEY_FILE": good}, "plain", true},
		{"missing file", map[string]string{"KEY_FILE": filepath.Join(dir, "nope")}, "def", true},
		{"empty file", map[string]string{"KEY_FILE": empty}, "def", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := config.NewReader(config.Map(c.env))
			if got := r.String("KEY", "def"); got != c.want {
				t.Errorf("String = %q, want %q", got, c.want)
			}
			if err := r.Err(); (err != nil) != c.wantErr {
				t.Errorf("Err = %v, want an error: %v", err, c.wantErr)
			}
		})
	}
}
