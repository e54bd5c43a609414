package ingest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestAdvertsPostAndReadBack: a trust posts each of the six adverts of
// pkg/match's table (every field an NHS Jobs advert has, requirement
// groups included), reads each back as posted, and replaces one; every
// answer is held to the OpenAPI document by the fixture.
func TestAdvertsPostAndReadBack(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	files, err := filepath.Glob("../../pkg/match/testdata/adverts/*.json")
	if err != nil || len(files) != 6 {
		t.Fatalf("adverts %v: %v", files, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var sent map[string]any
		if err := json.Unmarshal(data, &sent); err != nil {
			t.Fatal(err)
		}
		var posted map[string]any
		f.do("POST", "/v1/vacancies", key, sent, nil).want(t, 201).json(t, &posted)
		id, _ := posted["id"].(string)
		got := f.do("GET", "/v1/vacancies/"+id, "", nil, nil).want(t, 200)
		var read map[string]any
		got.json(t, &read)
		// Every field sent reads back as sent; the view adds the system's.
		for k, want := range sent {
			if !subset(want, read[k]) {
				t.Errorf("%s: %s reads back %v, sent %v", filepath.Base(file), k, read[k], want)
			}
		}
		if strings.Contains(file, "rehab") {
			sent["hours_per_week"] = 22.5
			f.do("PUT", "/v1/vacancies/"+id, key, sent, map[string]string{"If-Match": got.Header.Get("ETag")}).want(t, 200)
			f.do("GET", "/v1/vacancies/"+id, "", nil, nil).want(t, 200).json(t, &read)
			if read["hours_per_week"] != 22.5 {
				t.Errorf("replaced hours_per_week reads %v", read["hours_per_week"])
			}
		}
	}
	// Band 7 in England pays £47,810 to £54,710: a range beyond it is refused, named.
	data, _ := os.ReadFile("../../pkg/match/testdata/adverts/rehab-band7.json")
	var wrong map[string]any
	_ = json.Unmarshal(data, &wrong)
	wrong["reference"], wrong["salary"] = "SRH-RE-0208", map[string]any{"min": 45000, "max": 54710}
	a := f.do("POST", "/v1/vacancies", key, wrong, nil).want(t, 422)
	if !strings.Contains(string(a.Body), "band 7 pays £47810 to £54710") {
		t.Errorf("a salary below band 7's first pay point: %s", a.Body)
	}
}

// subset reports whether every field of want (recursively) is in got
// with the same value.
func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !subset(v, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}
