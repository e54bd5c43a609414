// Package index answers, at national scale, which candidates a vacancy fits
// and which open vacancies a candidate fits, with the same answers and
// scores as applying [match.Evaluate] to everyone ([Reference] does exactly
// that, and is kept as the oracle the index is tested against).
//
// # Design
//
// Candidates. Each candidate has a dense slot number and a compact record
// (home, radius, wants, minimum band, qualifications as bit sets, and where
// their id is: 64 bytes, one cache line). For every value a rule can test
// there is a bitset over the slots, one bit a slot, of those it admits: the
// role families wanted; "minimum band at or below b" for each band; the
// contracts and hours accepted (a candidate who lists none is in every one);
// each A-level subject held and "at least n A levels"; "a degree of at least
// class c", the degree's subject; each registration (a CEng holder is also
// in IEng's); "at least y years' experience" for y up to 50. A vacancy's
// non-spatial rules are then the AND of a few of these bitsets, exactly; at
// a million candidates they are 122 bits, some 15 bytes, a candidate.
//
// Nothing kept for each candidate holds a pointer, so that the garbage
// collector, which would otherwise follow a million of them in every cycle,
// has next to nothing to follow: the ids are back to back in a few hundred
// strings, a match's id being a substring of one, and the table from id to
// slot is of slot numbers, comparing ids read through the records.
//
// Space is handled by radius class. A candidate whose travel radius is at
// most R (classes from 2 km to 1000 km, at the radii people choose most
// often) sits in one cell of that class's grid, whose cells are about R/2
// across; the candidates willing to relocate are a cell of their own. Every
// home within R of a site lies in the block of cells that a disk of radius R
// around it touches, bounded exactly from the haversine formula: some 5 × 5
// cells, about twice the disk's area. Homes and sites are in the UK, where
// longitudes do not wrap round.
//
// Slots are given out by cell: a cell owns runs of consecutive slots, its
// candidates' and some free ones, and a candidate joining or moving into a
// cell takes one of its free slots, the cell growing by a quarter, in one
// run, when it has none; a candidate leaving frees their slot for the next
// to join; a cell left empty gives its runs back for others to grow into.
// However candidates come, one at a time or in a bulk load, a cell is then a
// few runs. The bulk load ([Builder]) also takes the cells row by row, so
// that the cells of a row follow one another.
//
// A vacancy's query marks the slots of the runs of the cells in the block
// around its site in each class's grid, and of the relocating candidates, in
// a bitset over all slots kept for queries to reuse, a word of 64 slots at a
// time for a long run. It then sweeps the marked words, ANDing the rules'
// bitsets into each, the smallest set first, and leaving a word as soon as
// nothing in it is left: no set is built, and the work is a few thousand
// words, not the hundred thousand candidates living nearby. The candidates
// left pass every rule but perhaps the exact distance. Their records are
// read 256 at a time: a short loop first, in which many records come from
// memory at once, rules out by a bound without trigonometry most of those
// beyond their radius; then the others, their records in the cache, get the
// exact distance (Taylor series of the haversine formula's sines and
// arcsine, falling back to the library's functions where the rounding to 0.1
// km could go either way, so the tenths are always the rules') and a score
// from the compact record, through [match.Fit], the one scoring formula.
//
// Vacancies. Open vacancies (tens of thousands at most) are indexed the
// other way round: Roaring bitmaps of the vacancies of each role family,
// contract and hours, "band at least b", and, for each thing a vacancy can
// require, the vacancies requiring it. A candidate's fitting vacancies are
// the union of their families' bitmaps, cut by band, contract and hours,
// minus the vacancies requiring anything the candidate lacks; the few left
// get the exact distance and a score.
//
// Visibility. A vacancy that is not public (internal or restricted) is
// matched only to candidates [match.Visible] admits: on the way from a
// vacancy, only candidates flagged as declaring an employer are looked at
// further, their declaration read from their blob; on the way from a
// candidate, each such vacancy left is tested with the candidate's own
// record. Non-public vacancies are few, and cost nothing to public ones.
//
// Enum values outside those the protocol declares match nothing here; the
// write API never accepts them. Years of experience count up to 50, the most
// the write API accepts.
//
// The index is safe for concurrent use: queries share a read lock, changes
// take the write lock.
package index
