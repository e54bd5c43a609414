// Package index answers, at national scale, which candidates a vacancy fits
// and which open vacancies a candidate fits, with the same answers and
// scores as applying [match.Evaluate] to everyone ([Reference] does exactly
// that, and is kept as the oracle the index is tested against).
//
// # Design
//
// Candidates. Each candidate has a dense slot number and a compact record
// (home, radius, wants, minimum band, qualifications as bit sets: about 64
// bytes, one cache line). For every value a rule can test there is a Roaring
// bitmap of the slots it admits: the role families wanted; "minimum band at
// or below b" for each band; the contracts and hours accepted (a candidate
// who lists none is in every one); each A-level subject held and "at least n
// A levels"; "a degree of at least class c", the degree's subject; each
// registration (a CEng holder is also in IEng's); "at least y years'
// experience" for y up to 50. A vacancy's non-spatial rules are then the AND
// of a few of these bitmaps, exactly.
//
// Space is handled by radius class. A candidate whose travel radius is at
// most R (classes of 5 km to 1000 km) sits in one cell of that class's grid,
// whose cells are at least R wide everywhere in the UK, so every home within
// R of a site lies in the 3 × 3 block of cells around it. The union of those
// blocks over the classes, with the candidates willing to relocate, bounds
// where the fitting candidates can be; ANDed with the rest it leaves only
// candidates who pass every rule but perhaps the exact distance. Those get
// the exact distance (the same rounding as the rules) and a score from the
// compact record, through [match.Fit], the one scoring formula.
//
// Vacancies. Open vacancies (tens of thousands at most) are indexed the
// other way round: bitmaps of the vacancies of each role family, contract
// and hours, "band at least b", and, for each thing a vacancy can require,
// the vacancies requiring it. A candidate's fitting vacancies are the union
// of their families' bitmaps, cut by band, contract and hours, minus the
// vacancies requiring anything the candidate lacks; the few left get the
// exact distance and a score.
//
// Enum values outside those the protocol declares match nothing here; the
// write API never accepts them. Years of experience count up to 50, the most
// the write API accepts.
//
// The index is safe for concurrent use: queries share a read lock, changes
// take the write lock.
package index
