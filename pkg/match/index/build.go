package index

import (
	"cmp"
	"math"
	"slices"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Builder gathers candidates for a bulk load (a rebuild), so that the index
// can give them slots in the order of where they live: those willing to
// relocate first, then the others by radius class, grid cell (row by row)
// and, within a cell, place. Each cell's candidates then take one run of
// slots, and the cells of a row follow one another: a query reads a few runs
// of bitset words and records instead of slots scattered about.
type Builder struct {
	recs []built
}

type built struct {
	id   string
	x    cand
	e    ext
	blob string
	rev  uint64
	key  placeKey
}

// placeKey orders candidates for the bulk load.
type placeKey struct {
	stays  bool // not willing to relocate
	class  uint8
	cell   cellKey
	morton uint64
}

func (p placeKey) compare(q placeKey) int {
	switch {
	case p.stays != q.stays:
		if q.stays {
			return -1
		}
		return 1
	case p.class != q.class:
		return cmp.Compare(p.class, q.class)
	case p.cell.lat != q.cell.lat:
		return cmp.Compare(p.cell.lat, q.cell.lat)
	case p.cell.lon != q.cell.lon:
		return cmp.Compare(p.cell.lon, q.cell.lon)
	}
	return cmp.Compare(p.morton, q.morton)
}

// Add gathers a candidate at revision rev; a later Add of the same id wins
// over an earlier one of a lower revision when the builder is loaded.
func (b *Builder) Add(c *eventsv1.Candidate, rev uint64) {
	x, e, blob := compactCandidate(c)
	key := placeKey{stays: x.flags&flagRelocate == 0, class: x.class, cell: cellOf(x.lat, x.lon, x.class), morton: morton(x.lat, x.lon)}
	b.recs = append(b.recs, built{id: c.GetId(), x: x, e: e, blob: blob, rev: rev, key: key})
}

// Len returns how many candidates are gathered.
func (b *Builder) Len() int { return len(b.recs) }

// Load puts every gathered candidate into the index, in geographic order,
// and empties the builder.
func (ix *Index) Load(b *Builder) {
	slices.SortStableFunc(b.recs, func(p, q built) int { return p.key.compare(q.key) })
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.cb.reserve(ix.cb.slots + len(b.recs))
	ix.cands = slices.Grow(ix.cands, len(b.recs))
	ix.candRevs = slices.Grow(ix.candRevs, len(b.recs))
	ix.exts = slices.Grow(ix.exts, len(b.recs))
	for i := 0; i < len(b.recs); {
		// The candidates of one home, each cell taking its slots in one run.
		h := homeOf(&b.recs[i].x)
		j := i + 1
		for j < len(b.recs) && homeOf(&b.recs[j].x) == h {
			j++
		}
		for k := i; k < j; k++ {
			r := &b.recs[k]
			ix.place(r.id, r.x, r.e, r.blob, r.rev, j-k)
		}
		i = j
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
