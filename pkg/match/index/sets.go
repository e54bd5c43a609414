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

// runs is a set of slots as sorted, disjoint runs, no two touching. The
// bulk load gives the candidates of a grid cell consecutive slots, so a
// cell is one run until candidates join, move or leave it one by one.
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

func (rs *runs) add(slot uint32) {
	s := *rs
	i := s.find(slot)
	switch {
	case i < len(s) && s[i].lo <= slot: // already in
	case i > 0 && s[i-1].hi == slot && i < len(s) && s[i].lo == slot+1:
		s[i-1].hi = s[i].hi
		*rs = slices.Delete(s, i, i+1)
	case i > 0 && s[i-1].hi == slot:
		s[i-1].hi++
	case i < len(s) && s[i].lo == slot+1:
		s[i].lo--
	default:
		*rs = slices.Insert(s, i, run{slot, slot + 1})
	}
}

func (rs *runs) remove(slot uint32) {
	s := *rs
	i := s.find(slot)
	if i == len(s) || s[i].lo > slot {
		return
	}
	r := s[i]
	switch {
	case r.lo == slot && r.hi == slot+1:
		*rs = slices.Delete(s, i, i+1)
	case r.lo == slot:
		s[i].lo++
	case r.hi == slot+1:
		s[i].hi--
	default:
		s[i].hi = slot
		*rs = slices.Insert(s, i+1, run{slot + 1, r.hi})
	}
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

// intersect appends to dst every slot in rs that every term admits, in
// order. It works a chunk of words at a time, the terms in the order given
// (the smallest first, by the caller), and leaves a chunk as soon as
// nothing in it is left.
func intersect(dst []uint32, rs runs, terms []term) []uint32 {
	const chunk = 32
	var acc [chunk]uint64
	for _, r := range rs {
		first, last := r.lo>>6, (r.hi-1)>>6
		for w := first; w <= last; w += chunk {
			a := acc[:min(chunk, last-w+1)]
			for i := range a {
				a[i] = ^uint64(0)
			}
			// The run's ends within its first and last words.
			if w == first {
				a[0] = ^uint64(0) << (r.lo & 63)
			}
			if w+uint32(len(a))-1 == last {
				end := (r.hi - 1) & 63
				a[len(a)-1] &= ^uint64(0) >> (63 - end)
			}
			if !andAll(a, terms, w) {
				continue
			}
			for i, m := range a {
				for ; m != 0; m &= m - 1 {
					dst = append(dst, (w+uint32(i))<<6|uint32(bits.TrailingZeros64(m)))
				}
			}
		}
	}
	return dst
}

// andAll ANDs every term into a, the words from w on, and reports whether
// any bit is left.
func andAll(a []uint64, terms []term, w uint32) bool {
	for _, t := range terms {
		if !and(a, t, w) {
			return false
		}
	}
	return true
}

// and ANDs term t into a, the words from w on, and reports whether any bit
// is left.
func and(a []uint64, t term, w uint32) bool {
	var any uint64
	if len(t) == 1 {
		src := t[0].words[w : int(w)+len(a)]
		for i := range a {
			a[i] &= src[i]
			any |= a[i]
		}
		return any != 0
	}
	for i := range a {
		var u uint64
		for _, b := range t {
			u |= b.words[int(w)+i]
		}
		a[i] &= u
		any |= a[i]
	}
	return any != 0
}
