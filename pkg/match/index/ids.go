package index

import (
	"hash/maphash"
	"strings"
)

// idChunk is how many bytes of ids a chunk of the id store holds: a few
// hundred chunks at a million candidates.
const idChunk = 1 << 16

// idRef is where a candidate's id is in the id store.
type idRef struct{ chunk, off, n uint32 }

// idStore keeps candidates' ids back to back in a few large strings, so
// that a record names its candidate without a pointer of its own: the
// garbage collector marks a few hundred strings, not a string for every
// candidate, and a match's id is a substring, not a copy. A chunk is only
// ever appended to (the strings handed out before stay as they were); the
// ids of candidates who left are dropped when the store is compacted.
type idStore struct {
	chunks []string
	// tail builds the last chunk: chunks[len(chunks)-1] is tail.String().
	tail strings.Builder
	// size and dead are the bytes of all ids stored and of those no longer
	// used.
	size, dead int
}

func (s *idStore) add(id string) idRef {
	if len(s.chunks) == 0 || s.tail.Len()+len(id) > s.tail.Cap() {
		s.tail = strings.Builder{}
		s.tail.Grow(max(idChunk, len(id)))
		s.chunks = append(s.chunks, "")
	}
	ref := idRef{chunk: uint32(len(s.chunks) - 1), off: uint32(s.tail.Len()), n: uint32(len(id))}
	s.tail.WriteString(id)
	s.chunks[ref.chunk] = s.tail.String()
	s.size += len(id)
	return ref
}

func (s *idStore) get(r idRef) string { return s.chunks[r.chunk][r.off : r.off+r.n] }

// drop counts an id as no longer used, and reports whether the store is
// then worth compacting: more than half of it unused.
func (s *idStore) drop(r idRef) bool {
	s.dead += int(r.n)
	return s.dead > idChunk && 2*s.dead > s.size
}

// slotTable finds a candidate's slot by id. It is a hash table of slot
// numbers alone (open addressing, linear probing), the ids themselves
// being read from the records, so that it holds no pointers and takes 8
// bytes or so a candidate, not the 40 or more of a map from strings.
type slotTable struct {
	seed maphash.Seed
	// entries are a hash of the id in the top 32 bits, above the slot + 1;
	// 0 is empty. Their number is a power of two.
	entries []uint64
	n       int
}

func newSlotTable() slotTable {
	return slotTable{seed: maphash.MakeSeed(), entries: make([]uint64, 16)}
}

func (t *slotTable) hash(id string) uint32 { return uint32(maphash.String(t.seed, id)) }

// find returns where id is in the table, or the empty entry where it
// would go; idOf gives the id in a slot.
func (t *slotTable) find(id string, idOf func(uint32) string) (i int, found bool) {
	h := t.hash(id)
	mask := len(t.entries) - 1
	for i = int(h) & mask; ; i = (i + 1) & mask {
		e := t.entries[i]
		if e == 0 {
			return i, false
		}
		if uint32(e>>32) == h && idOf(uint32(e)-1) == id {
			return i, true
		}
	}
}

// get returns id's slot.
func (t *slotTable) get(id string, idOf func(uint32) string) (uint32, bool) {
	i, ok := t.find(id, idOf)
	return uint32(t.entries[i]) - 1, ok
}

// put records that id, not in the table, has slot.
func (t *slotTable) put(id string, slot uint32, idOf func(uint32) string) {
	if 4*(t.n+1) > 3*len(t.entries) {
		t.grow()
	}
	i, _ := t.find(id, idOf)
	t.entries[i] = uint64(t.hash(id))<<32 | uint64(slot+1)
	t.n++
}

// set records that id, in the table, now has slot; idOf must still give
// id for its old slot.
func (t *slotTable) set(id string, slot uint32, idOf func(uint32) string) {
	if i, ok := t.find(id, idOf); ok {
		t.entries[i] = t.entries[i]&^(1<<32-1) | uint64(slot+1)
	}
}

// remove takes id out of the table, if it is in it, moving later entries
// of the same probe sequence back so that no lookup stops short of them.
func (t *slotTable) remove(id string, idOf func(uint32) string) {
	i, ok := t.find(id, idOf)
	if !ok {
		return
	}
	mask := len(t.entries) - 1
	for j := (i + 1) & mask; t.entries[j] != 0; j = (j + 1) & mask {
		// The entry at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		home := int(t.entries[j]>>32) & mask
		if (j-home)&mask >= (j-i)&mask {
			t.entries[i] = t.entries[j]
			i = j
		}
	}
	t.entries[i] = 0
	t.n--
}

func (t *slotTable) grow() {
	old := t.entries
	t.entries = make([]uint64, 2*len(old))
	mask := len(t.entries) - 1
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := int(e>>32) & mask
		for t.entries[i] != 0 {
			i = (i + 1) & mask
		}
		t.entries[i] = e
	}
}

// each calls f with every slot in the table.
func (t *slotTable) each(f func(slot uint32)) {
	for _, e := range t.entries {
		if e != 0 {
			f(uint32(e) - 1)
		}
	}
}
