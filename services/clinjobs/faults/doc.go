// Package faults is the fault suite: the clustered stack from the images,
// in containers, under a steady stream of vacancies while one fault is
// injected, checked for nothing lost and nothing twice. Its tests carry
// the build tag "faults" and run with make test-faults.
package faults
