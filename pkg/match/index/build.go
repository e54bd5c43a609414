package index

import (
	"math"
	"slices"
	"strings"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Builder gathers candidates for a bulk load (a rebuild), so that the index
// can give them slots in the order of where they live: neighbours become
// neighbours in memory, and a query near a place reads a few runs of
// records and dense bitmap containers instead of records scattered at
// random.
type Builder struct {
	recs []built
}

type built struct {
	x   cand
	rev uint64
	key uint64
}

// Add gathers a candidate at revision rev; a later Add of the same id wins
// over an earlier one of a lower revision when the builder is loaded.
func (b *Builder) Add(c *eventsv1.Candidate, rev uint64) {
	x := compactCandidate(c)
	x.id = strings.Clone(c.GetId())
	b.recs = append(b.recs, built{x: x, rev: rev, key: morton(x.lat, x.lon)})
}

// Len returns how many candidates are gathered.
func (b *Builder) Len() int { return len(b.recs) }

// Load puts every gathered candidate into the index, in geographic order,
// and empties the builder.
func (ix *Index) Load(b *Builder) {
	slices.SortStableFunc(b.recs, func(p, q built) int {
		switch {
		case p.key < q.key:
			return -1
		case p.key > q.key:
			return 1
		}
		return 0
	})
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range b.recs {
		ix.place(b.recs[i].x, b.recs[i].rev)
	}
	b.recs = nil
}

// morton interleaves the bits of a place's latitude and longitude, counted
// in steps of about 50 m across the UK: nearby places get nearby keys.
func morton(lat, lon float64) uint64 {
	q := func(v, lo, hi float64) uint64 {
		if math.IsNaN(v) {
			return 0
		}
		return uint64(min(max((v-lo)/(hi-lo), 0), 1) * float64(1<<20-1))
	}
	return spread(q(lat, 49, 61.5)) | spread(q(lon, -9, 2.5))<<1
}

// spread puts the 20 bits of x in the even bits of the result.
func spread(x uint64) uint64 {
	var out uint64
	for i := range 20 {
		out |= (x >> i & 1) << (2 * i)
	}
	return out
}
