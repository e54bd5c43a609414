package main

import (
	"fmt"
	"io"

	"github.com/clinjobs/clinjobs/pkg/secrets"
)

// initSecrets makes the compose stack's secrets missing from dir (see
// package secrets for its layout) and says what it made.
func initSecrets(dir string, stdout io.Writer) error {
	made, err := secrets.Init(dir)
	for _, name := range made {
		fmt.Fprintf(stdout, "made %s/%s\n", dir, name)
	}
	return err
}
