// Package imagetest names the images `make images` builds, for tests that
// run them in containers. Production code never imports it.
package imagetest

import "os"

// Name returns the image of one part of the system, such as
// "clinjobs/redis:local": the tag is $CLINJOBS_IMAGE_TAG, default local, so
// that builds of several branches on one machine keep apart.
func Name(part string) string {
	tag := os.Getenv("CLINJOBS_IMAGE_TAG")
	if tag == "" {
		tag = "local"
	}
	return "clinjobs/" + part + ":" + tag
}
