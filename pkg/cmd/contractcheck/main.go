// Command contractcheck compares two versions of the api/ directory (the
// OpenAPI documents and events.json, the event contracts' descriptors) and
// fails if the newer would break a client of the older:
//
//	contractcheck OLD_DIR NEW_DIR
//
// make contract-check runs it against main's api/ (see the Makefile).
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/clinjobs/clinjobs/pkg/contractdiff"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: contractcheck OLD_DIR NEW_DIR")
		os.Exit(2)
	}
	breaks, err := run(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "contractcheck:", err)
		os.Exit(2)
	}
	for _, b := range breaks {
		fmt.Println(b)
	}
	if len(breaks) > 0 {
		os.Exit(1)
	}
}

func run(oldDir, newDir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(oldDir, "*.json"))
	if err != nil {
		return nil, err
	}
	var breaks []string
	for _, path := range names {
		name := filepath.Base(path)
		was, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		now, err := os.ReadFile(filepath.Join(newDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			breaks = append(breaks, "api/"+name+": removed")
			continue
		} else if err != nil {
			return nil, err
		}
		compare := contractdiff.OpenAPI
		if name == "events.json" {
			compare = contractdiff.Proto
		}
		found, err := compare(was, now)
		if err != nil {
			return nil, fmt.Errorf("api/%s: %w", name, err)
		}
		for _, b := range found {
			breaks = append(breaks, "api/"+name+": "+b)
		}
	}
	return breaks, nil
}
