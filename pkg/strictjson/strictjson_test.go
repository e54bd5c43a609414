package strictjson_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
)

// doc is a document with the shapes the API's are made of.
type doc struct {
	Name   string         `json:"name"`
	Count  int32          `json:"count"`
	Ratio  float64        `json:"ratio"`
	On     *bool          `json:"on"`
	Tags   []string       `json:"tags"`
	Nested *doc           `json:"nested"`
	Extra  map[string]any `json:"extra"`
}

func TestDepth(t *testing.T) {
	t.Parallel()
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"at the limit", `{"extra":{"a":` + nest(strictjson.MaxDepth-2) + `}}`, true},
		{"one past", `{"extra":{"a":` + nest(strictjson.MaxDepth-1) + `}}`, false},
		{"brackets in a string do not count", `{"name":"` + strings.Repeat("[{", 100) + `"}`, true},
		{"nor after an escaped quote", `{"name":"\"` + strings.Repeat("[", 100) + `"}`, true},
		{"nor after an escaped backslash", `{"name":"\\"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var d doc
			err := strictjson.Decode([]byte(tt.body), &d)
			if tt.ok != (err == nil) {
				t.Fatalf("Decode = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok && problem.KindOf(err) != problem.Malformed {
				t.Fatalf("kind %s, want malformed", problem.KindOf(err))
			}
		})
	}
}

// FuzzDecode holds Decode, on any input, to its promise: no panic; a
// refusal is Malformed (400) or Invalid (422), never anything else; and
// what it accepts is valid UTF-8, one JSON document, not null, nested no
// deeper than MaxDepth, and decodes to what encoding/json makes of it.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","count":1,"ratio":0.5,"on":true,"tags":["x"],"nested":{"name":"b"},"extra":{"k":[1,{"z":null}]}}`,
		`{}`, `null`, ` null `, `[]`, `"x"`, `{"count":2147483648}`, `{"ratio":1e400}`, `{"count":1.5}`,
		`{"name":"\ud800"}`, "{\"name\":\"\xff\"}", `{"nested":{"nested":{"nested":{}}}}`, `{"NAME":"a"}`,
		`{"name":"a","name":"b"}`, `{"colour":1}`, `{} {}`, `{`, "\ufeff{}", `{"tags":` + strings.Repeat("[", 20) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got doc
		err := strictjson.Decode(data, &got)
		if err != nil {
			if k := problem.KindOf(err); k != problem.Malformed && k != problem.Invalid {
				t.Fatalf("refused as %s: %v", k, err)
			}
			return
		}
		if !utf8.Valid(data) || !json.Valid(data) {
			t.Fatalf("accepted %q, which is not one valid JSON document", data)
		}
		if strings.TrimSpace(string(data)) == "null" {
			t.Fatalf("accepted null")
		}
		if d := depth(data); d > strictjson.MaxDepth {
			t.Fatalf("accepted nesting %d deep", d)
		}
		var want doc
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v, encoding/json %+v", got, want)
		}
	})
}

// depth is the deepest nesting of a valid JSON document.
func depth(data []byte) int {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	d, most := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return most
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			d++
			most = max(most, d)
		case json.Delim('}'), json.Delim(']'):
			d--
		}
	}
}
