package bulk_test

import (
	"os"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
	"github.com/clinjobs/clinjobs/services/ingest/internal/bulk"
)

// FuzzSplit: whatever the body, Split answers documents in order, at most
// the limit, or a problem of a kind the API answers as 400 or 413; each
// document decodes as a vacancy or fails as bad input.
func FuzzSplit(f *testing.F) {
	seeds, _ := os.ReadDir("testdata")
	for _, s := range seeds {
		data, _ := os.ReadFile("testdata/" + s.Name())
		f.Add(data, strings.HasSuffix(s.Name(), ".ndjson"))
	}
	f.Fuzz(func(t *testing.T, body []byte, ndjson bool) {
		ct := "application/json"
		if ndjson {
			ct = "application/x-ndjson"
		}
		docs, lines, err := bulk.Split(ct, body, 50)
		if err != nil {
			if k := problem.KindOf(err); k != problem.Malformed && k != problem.Invalid && k != problem.TooLarge {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		if len(docs) == 0 || len(docs) > 50 || len(docs) != len(lines) {
			t.Fatalf("%d documents, %d lines", len(docs), len(lines))
		}
		for i := 1; i < len(lines); i++ {
			if lines[i] <= lines[i-1] {
				t.Fatalf("lines out of order: %v", lines)
			}
		}
		for _, d := range docs {
			var in jobs.VacancyInput
			if err := strictjson.Decode(d, &in); err != nil {
				if k := problem.KindOf(err); k != problem.Malformed && k != problem.Invalid {
					t.Fatalf("document error of kind %s: %v", k, err)
				}
			}
		}
	})
}
