// Package bulk splits the body of a bulk post into its documents. It is
// apart from the ingest service so that its fuzz target compiles without
// the service's dependencies.
package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"

	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
)

// Split splits a bulk body into its documents: the lines of NDJSON
// (blank lines skipped) or the elements of a JSON array. It returns each
// document with its line or position.
func Split(contentType string, body []byte, maxItems int) ([][]byte, []int, error) {
	var docs [][]byte
	var lines []int
	switch contentType {
	case "application/x-ndjson", "application/jsonl":
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 0, 64<<10), len(body)+1)
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			if len(docs) == maxItems {
				return nil, nil, problem.New(problem.TooLarge, "a bulk post may hold %d vacancies", maxItems)
			}
			docs, lines = append(docs, bytes.Clone(line)), append(lines, n)
		}
		if err := sc.Err(); err != nil {
			return nil, nil, problem.Wrap(problem.Malformed, err, "the body could not be read as lines")
		}
	default:
		var items []json.RawMessage
		if err := strictjson.Decode(body, &items); err != nil {
			return nil, nil, err
		}
		if len(items) > maxItems {
			return nil, nil, problem.New(problem.TooLarge, "a bulk post may hold %d vacancies", maxItems)
		}
		for i, it := range items {
			docs, lines = append(docs, it), append(lines, i+1)
		}
	}
	if len(docs) == 0 {
		return nil, nil, problem.New(problem.Invalid, "the body holds no vacancy")
	}
	return docs, lines, nil
}
