package index

// Slots are given out by home (a grid cell of a radius class, or the
// relocating), each home owning some runs of slots: those of its
// candidates and a few free ones kept for candidates joining it later. A
// cell then stays a few runs whichever order candidates come in, one at a
// time or in a bulk load, and a query marks a few runs a cell instead of a
// slot a candidate.

// home is where a candidate's slot belongs: the cell of their class's grid
// that their home is in, or, for those willing to relocate, a home of
// their own.
type home struct {
	relocate bool
	class    uint8
	key      cellKey
}

func homeOf(x *cand) home {
	if x.flags&flagRelocate != 0 {
		return home{relocate: true}
	}
	return home{class: x.class, key: cellOf(x.lat, x.lon, x.class)}
}

// cell is the slots a home owns.
type cell struct {
	owned runs
	// free are owned slots nobody holds, the last given out first.
	free []uint32
	// n is how many candidates the cell holds.
	n int
}

// cellAt returns a home's cell, made if need be when create is set, or nil.
func (b *candidateSets) cellAt(h home, create bool) *cell {
	if h.relocate {
		return b.relocating
	}
	c := b.cells[h.class][h.key]
	if c == nil && create {
		c = &cell{}
		b.cells[h.class][h.key] = c
	}
	return c
}

// claim gives out a free slot of a home, the cell growing by a quarter
// (one slot at least) when it has none, so that a cell growing one
// candidate at a time grows in a few runs; want is how many slots the
// caller is about to claim there, for a bulk load to take them in one run.
func (b *candidateSets) claim(h home, want int) uint32 {
	c := b.cellAt(h, true)
	if len(c.free) == 0 {
		b.grow(c, max(want, c.n/4, 1))
	}
	slot := c.free[len(c.free)-1]
	c.free = c.free[:len(c.free)-1]
	c.n++
	return slot
}

// grow gives a cell k slots more in one run: the first k of a spare run
// long enough, or k new slots after the last.
func (b *candidateSets) grow(c *cell, k int) {
	lo := uint32(b.slots)
	if i := b.spare.fit(k); i >= 0 {
		lo = b.spare[i].lo
		b.spare[i].lo += uint32(k)
		if b.spare[i].lo == b.spare[i].hi {
			b.spare = append(b.spare[:i], b.spare[i+1:]...)
		}
	} else {
		b.slots += k
		b.reserve(b.slots)
	}
	c.owned.addRun(run{lo, lo + uint32(k)})
	for s := lo + uint32(k); s > lo; s-- {
		c.free = append(c.free, s-1)
	}
}

// release frees a slot of a home's cell; a cell left with no candidates
// gives its slots back, spare for any cell to grow into.
func (b *candidateSets) release(h home, slot uint32) {
	c := b.cellAt(h, false)
	c.free = append(c.free, slot)
	c.n--
	if c.n > 0 || h.relocate {
		return
	}
	for _, r := range c.owned {
		b.spare.addRun(r)
	}
	delete(b.cells[h.class], h.key)
}
