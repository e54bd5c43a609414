// Package systemtest runs the system from the images `make images` builds, on
// a Docker network through testcontainers-go, and drives it from outside.
// Its tests need Docker and those images; the Makefile builds them first.
package systemtest
