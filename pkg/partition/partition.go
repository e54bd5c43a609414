// Package partition splits candidates into a fixed number of partitions by id,
// so that matching can be shared out: each matching replica owns a set of
// partitions, sees every vacancy, and alone matches the candidates it owns.
package partition

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Count is the number of partitions. It is part of the stored data (candidate
// keys carry their partition), so it never changes under a running system.
const Count = 16

// Of returns the partition of a candidate id.
func Of(candidateID string) int {
	h := fnv.New32a()
	h.Write([]byte(candidateID))
	return int(h.Sum32() % Count)
}

// Key returns the candidates bucket key of a candidate id: its partition, a
// dot, the id, so that a consumer can filter on one partition's subjects.
func Key(candidateID string) string {
	return fmt.Sprintf("p%02d.%s", Of(candidateID), candidateID)
}

// IDFromKey returns the candidate id of a bucket key.
func IDFromKey(key string) (string, bool) {
	p, id, ok := strings.Cut(key, ".")
	if !ok || len(p) != 3 || p[0] != 'p' || id == "" {
		return "", false
	}
	return id, true
}

// Set is the partitions one replica owns.
type Set []int

// All is every partition.
func All() Set {
	s := make(Set, Count)
	for i := range s {
		s[i] = i
	}
	return s
}

// Parse reads a set such as "0-7", "8-15" or "0,3,5-6". Empty means all.
func Parse(s string) (Set, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return All(), nil
	}
	var out Set
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("partition set %q: %q is not a number", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("partition set %q: %q is not a number", s, hi)
			}
		}
		if a < 0 || b >= Count || a > b {
			return nil, fmt.Errorf("partition set %q: want partitions 0 to %d", s, Count-1)
		}
		for p := a; p <= b; p++ {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Owns reports whether p is in the set.
func (s Set) Owns(p int) bool { return slices.Contains(s, p) }

// String returns the set in the form Parse reads, compressed to ranges.
func (s Set) String() string {
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(s[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", s[i], s[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// Subjects returns the subjects of the candidates stream that carry the
// set's partitions, under prefix (such as "$KV.candidates.").
func (s Set) Subjects(prefix string) []string {
	out := make([]string, len(s))
	for i, p := range s {
		out[i] = fmt.Sprintf("%sp%02d.>", prefix, p)
	}
	return out
}

// OfReplica returns the partitions that replica ordinal of replicas owns
// when they share the partitions out in contiguous runs: replica r owns
// r*Count/replicas up to (r+1)*Count/replicas, so every partition has
// exactly one owner and shares differ by at most one partition. This is
// how a StatefulSet's ordinals map to partitions without a hand-kept list.
// replicas runs from 1 to Count.
func OfReplica(ordinal, replicas int) (Set, error) {
	if replicas < 1 || replicas > Count {
		return nil, fmt.Errorf("replicas %d: want 1 to %d (there are %d partitions)", replicas, Count, Count)
	}
	if ordinal < 0 || ordinal >= replicas {
		return nil, fmt.Errorf("ordinal %d: want 0 to %d for %d replicas", ordinal, replicas-1, replicas)
	}
	var s Set
	for p := ordinal * Count / replicas; p < (ordinal+1)*Count/replicas; p++ {
		s = append(s, p)
	}
	return s, nil
}

// Ordinal reads a replica's ordinal: a number such as "3", or a
// StatefulSet pod name whose last dash-separated part is the ordinal, such
// as "clinjobs-matching-3" (the pod's hostname).
func Ordinal(s string) (int, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		s = s[i+1:]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("ordinal %q: want a number or a name ending in -<number>", s)
	}
	return n, nil
}
