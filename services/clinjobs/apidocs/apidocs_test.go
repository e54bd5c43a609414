package apidocs_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/clinjobs/clinjobs/services/clinjobs/apidocs"
)

var update = flag.Bool("update", false, "write api/ from the code (make api)")

// TestCommittedContractsAreCurrent: the files under api/ are what the
// services serve and what the .proto files say; make api rewrites them.
func TestCommittedContractsAreCurrent(t *testing.T) {
	t.Parallel()
	files, err := apidocs.Files()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "..", "api")
	for name, want := range files {
		path := filepath.Join(dir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v: run make api and commit api/", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("api/%s is not what the code serves: run make api and commit it", name)
		}
	}
}
