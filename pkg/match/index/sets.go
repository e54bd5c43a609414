package index

import (
	"math/bits"
	"slices"
)

// bitset is a set of candidate slots, one bit a slot: dense, so that a
// query ANDs a rule's sets 64 slots at a time over just the slots it looks
// at, and free of pointers, so that the garbage collector never reads it.
type bitset struct {
	words []uint64
	// n is how many slots are in the set, for ANDing the smallest first.
	n int
}

func (b *bitset) add(slot uint32) {
	w, bit := slot>>6, uint64(1)<<(slot&63)
	if b.words[w]&bit == 0 {
		b.words[w] |= bit
		b.n++
	}
}

func (b *bitset) remove(slot uint32) {
	w, bit := slot>>6, uint64(1)<<(slot&63)
	if b.words[w]&bit != 0 {
		b.words[w] &^= bit
		b.n--
	}
}

// grow makes the set n words long: every bitset of the index is as long,
// so that a query reads any word of any of them.
func (b *bitset) grow(n int) {
	if n > len(b.words) {
		w := make([]uint64, n)
		copy(w, b.words)
		b.words = w
	}
}

// run is the slots lo to hi-1.
type run struct{ lo, hi uint32 }

// runs is a set of slots as sorted, disjoint runs, no two touching: the
// slots a cell owns, a few runs a cell (see cell).
type runs []run

// find returns the index of the first run that ends after slot.
func (rs runs) find(slot uint32) int {
	i, _ := slices.BinarySearchFunc(rs, slot, func(r run, s uint32) int {
		if r.hi <= s {
			return -1
		}
		return 1
	})
	return i
}

// addRun adds the slots of r, none of which are in rs yet.
func (rs *runs) addRun(r run) {
	s := *rs
	i := s.find(r.lo)
	joinsPrev, joinsNext := i > 0 && s[i-1].hi == r.lo, i < len(s) && s[i].lo == r.hi
	switch {
	case joinsPrev && joinsNext:
		s[i-1].hi = s[i].hi
		*rs = slices.Delete(s, i, i+1)
	case joinsPrev:
		s[i-1].hi = r.hi
	case joinsNext:
		s[i].lo = r.lo
	default:
		*rs = slices.Insert(s, i, r)
	}
}

// fit returns the index of the first run of at least n slots, or -1.
func (rs runs) fit(n int) int {
	for i, r := range rs {
		if int(r.hi-r.lo) >= n {
			return i
		}
	}
	return -1
}

// term is one rule's test as slots: the union of its sets (a degree in
// any of the subjects asked for), most often just one set.
type term []*bitset

// size bounds how many slots the term admits.
func (t term) size() int {
	n := 0
	for _, b := range t {
		n += b.n
	}
	return n
}

// markRun sets the bits of a run's slots in s.
func markRun(s []uint64, r run) {
	first, last := r.lo>>6, (r.hi-1)>>6
	lead, end := ^uint64(0)<<(r.lo&63), (r.hi-1)&63
	tail := ^uint64(0) >> (63 - end)
	if first == last {
		s[first] |= lead & tail
		return
	}
	s[first] |= lead
	for w := first + 1; w < last; w++ {
		s[w] = ^uint64(0)
	}
	s[last] |= tail
}

// sweep appends to dst, in order, every slot marked in the words lo to hi
// of s that every term admits, and clears those words. It ANDs the terms
// in the order given (the smallest first, by the caller), a word at a
// time, and leaves a word as soon as nothing in it is left.
func sweep(dst []uint32, s []uint64, lo, hi int, terms []term) []uint32 {
	for w := lo; w <= hi; w++ {
		m := s[w]
		if m == 0 {
			continue
		}
		s[w] = 0
		for _, t := range terms {
			if len(t) == 1 {
				m &= t[0].words[w]
			} else {
				var u uint64
				for _, b := range t {
					u |= b.words[w]
				}
				m &= u
			}
			if m == 0 {
				break
			}
		}
		for ; m != 0; m &= m - 1 {
			dst = append(dst, uint32(w)<<6|uint32(bits.TrailingZeros64(m)))
		}
	}
	return dst
}
