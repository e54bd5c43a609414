package index

import (
	"math"

	"github.com/clinjobs/clinjobs/pkg/geo"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Limits of the enums and counts the bitmaps cover.
const (
	nFamilies    = 6  // RoleFamily values 0..5
	nBands       = 12 // Band values 0..11
	nContracts   = 5
	nHours       = 3
	nALevelSubj  = 10
	nDegreeSubj  = 11
	nDegreeClass = 5
	nRegs        = 6
	// MaxYears is the most years of experience counted exactly.
	MaxYears = 50
)

const (
	flagAccredited = 1 << iota
	flagMSc
	flagNVQ
	flagRelocate
)

// cand is a candidate in compact form: every field a rule or the score
// reads, and where their id is, in 64 bytes. A query reads one cache line
// a candidate it looks at; the revision, which only writes read, is kept
// apart (Index.candRevs). It holds no pointers.
type cand struct {
	lat, lon      float64
	cosLat        float64
	id            idRef
	years         int32
	radius        int32
	specialisms   uint32
	aLevels       uint16
	families      uint8
	minBand       uint8
	contracts     uint8
	hours         uint8
	aLevelCount   uint8
	degreeSubject uint8
	degreeClass   uint8
	flags         uint8
	registrations uint8
	class         uint8
}

func enumSet[E ~int32](vs []E, limit int) uint32 {
	var set uint32
	for _, v := range vs {
		if v >= 0 && int(v) < limit {
			set |= 1 << uint(v)
		}
	}
	return set
}

func clamp8(n int) uint8 { return uint8(min(max(n, 0), math.MaxUint8)) }

// compactCandidate returns c in compact form, but for where its id is.
func compactCandidate(c *eventsv1.Candidate) cand {
	q := c.GetQualifications()
	x := cand{
		lat: c.GetHome().GetLatitude(), lon: c.GetHome().GetLongitude(), cosLat: geo.CosLat(c.GetHome().GetLatitude()),
		years: q.GetYearsExperience(), radius: c.GetTravelRadiusKm(),
		specialisms:   enumSet(c.GetSpecialisms(), 32),
		aLevels:       uint16(enumSet(q.GetALevels(), nALevelSubj)),
		families:      uint8(enumSet(c.GetRoleFamilies(), nFamilies)),
		contracts:     uint8(enumSet(c.GetContracts(), nContracts)),
		hours:         uint8(enumSet(c.GetHours(), nHours)),
		aLevelCount:   clamp8(len(q.GetALevels())),
		registrations: uint8(enumSet(q.GetRegistrations(), nRegs)),
	}
	if b := c.GetMinBand(); b >= 0 && int(b) < nBands {
		x.minBand = uint8(b)
	} else {
		x.minBand = math.MaxUint8
	}
	if d := q.GetDegree(); d.GetClass() > 0 && int(d.GetClass()) < nDegreeClass && d.GetSubject() >= 0 && int(d.GetSubject()) < nDegreeSubj {
		x.degreeClass, x.degreeSubject = uint8(d.GetClass()), uint8(d.GetSubject())
	}
	for flag, on := range map[uint8]bool{flagAccredited: q.GetAccreditedDegree(), flagMSc: q.GetMsc(), flagNVQ: q.GetNvq(), flagRelocate: c.GetWillingToRelocate()} {
		if on {
			x.flags |= flag
		}
	}
	x.class = radiusClass(x.radius)
	return x
}

// candidate rebuilds the fields of a candidate the rules read.
func (x *cand) candidate(id string) *eventsv1.Candidate {
	c := &eventsv1.Candidate{
		Id:                id,
		Home:              &eventsv1.Location{Latitude: x.lat, Longitude: x.lon},
		TravelRadiusKm:    x.radius,
		WillingToRelocate: x.flags&flagRelocate != 0,
		MinBand:           eventsv1.Band(x.minBand),
		Qualifications: &eventsv1.Qualifications{
			AccreditedDegree: x.flags&flagAccredited != 0, Msc: x.flags&flagMSc != 0, Nvq: x.flags&flagNVQ != 0,
			YearsExperience: x.years,
		},
	}
	for v := range 32 {
		if x.specialisms&(1<<v) != 0 {
			c.Specialisms = append(c.Specialisms, eventsv1.Specialism(v))
		}
	}
	for v := range nFamilies {
		if x.families&(1<<v) != 0 {
			c.RoleFamilies = append(c.RoleFamilies, eventsv1.RoleFamily(v))
		}
	}
	for v := range nContracts {
		if x.contracts&(1<<v) != 0 {
			c.Contracts = append(c.Contracts, eventsv1.Contract(v))
		}
	}
	for v := range nHours {
		if x.hours&(1<<v) != 0 {
			c.Hours = append(c.Hours, eventsv1.Hours(v))
		}
	}
	for v := range nALevelSubj {
		if x.aLevels&(1<<v) != 0 {
			c.Qualifications.ALevels = append(c.Qualifications.ALevels, eventsv1.ALevelSubject(v))
		}
	}
	for v := range nRegs {
		if x.registrations&(1<<v) != 0 {
			c.Qualifications.Registrations = append(c.Qualifications.Registrations, eventsv1.Registration(v))
		}
	}
	if x.degreeClass > 0 {
		c.Qualifications.Degree = &eventsv1.Degree{Subject: eventsv1.DegreeSubject(x.degreeSubject), Class: eventsv1.DegreeClass(x.degreeClass)}
	}
	return c
}

// candidateSets are, for each value a rule tests, the slots it admits, and
// where candidates live.
type candidateSets struct {
	family         [nFamilies]bitset
	bandOK         [nBands]bitset // minimum band at or below b, or none
	contractOK     [nContracts]bitset
	hoursOK        [nHours]bitset
	aLevel         [nALevelSubj]bitset
	aLevelsAtLeast [nALevelSubj]bitset // at least n A levels
	degreeSubject  [nDegreeSubj]bitset
	classAtLeast   [nDegreeClass]bitset
	accredited     bitset
	msc            bitset
	nvq            bitset
	registration   [nRegs]bitset // IEng's includes CEng holders
	yearsAtLeast   [MaxYears + 1]bitset
	// words is how long every bitset is.
	words int

	// slots is how many slots there are, given out or not; spare are
	// those no cell owns.
	slots int
	spare runs
	// relocating holds the candidates willing to relocate, wherever they
	// live; cells[class][cell] the others, by radius class and grid cell.
	relocating *cell
	cells      [len(radiusClasses)]map[cellKey]*cell
}

func newCandidateSets() *candidateSets {
	b := &candidateSets{relocating: &cell{}}
	for i := range b.cells {
		b.cells[i] = map[cellKey]*cell{}
	}
	return b
}

// all calls f with every bitset.
func (b *candidateSets) all(f func(*bitset)) {
	for _, arr := range [][]bitset{b.family[:], b.bandOK[:], b.contractOK[:], b.hoursOK[:], b.aLevel[:],
		b.aLevelsAtLeast[:], b.degreeSubject[:], b.classAtLeast[:], b.registration[:], b.yearsAtLeast[:]} {
		for i := range arr {
			f(&arr[i])
		}
	}
	f(&b.accredited)
	f(&b.msc)
	f(&b.nvq)
}

// each calls f with every bitset a candidate with record x belongs in.
func (b *candidateSets) each(x *cand, f func(*bitset)) {
	for v := range nFamilies {
		if x.families&(1<<v) != 0 {
			f(&b.family[v])
		}
	}
	for v := range nBands {
		if x.minBand == 0 || int(x.minBand) <= v {
			f(&b.bandOK[v])
		}
	}
	for v := range nContracts {
		if x.contracts == 0 || x.contracts&(1<<v) != 0 {
			f(&b.contractOK[v])
		}
	}
	for v := range nHours {
		if x.hours == 0 || x.hours&(1<<v) != 0 {
			f(&b.hoursOK[v])
		}
	}
	for v := range nALevelSubj {
		if x.aLevels&(1<<v) != 0 {
			f(&b.aLevel[v])
		}
		if v > 0 && int(x.aLevelCount) >= v {
			f(&b.aLevelsAtLeast[v])
		}
	}
	if x.degreeClass > 0 {
		f(&b.degreeSubject[x.degreeSubject])
		for c := 1; c <= int(x.degreeClass); c++ {
			f(&b.classAtLeast[c])
		}
	}
	if x.flags&flagAccredited != 0 {
		f(&b.accredited)
	}
	if x.flags&flagMSc != 0 {
		f(&b.msc)
	}
	if x.flags&flagNVQ != 0 {
		f(&b.nvq)
	}
	for v := range nRegs {
		held := x.registrations&(1<<v) != 0
		if v == int(eventsv1.Registration_REGISTRATION_IENG) && x.registrations&(1<<int(eventsv1.Registration_REGISTRATION_CENG)) != 0 {
			held = true
		}
		if held {
			f(&b.registration[v])
		}
	}
	for y := 1; y <= MaxYears && y <= int(x.years); y++ {
		f(&b.yearsAtLeast[y])
	}
}

// reserve makes every bitset long enough for n slots, by an eighth more
// than before at least, not a word at a time.
func (b *candidateSets) reserve(n int) {
	if words := (n + 63) / 64; words > b.words {
		b.words = max(words, b.words+b.words/8)
		b.all(func(s *bitset) { s.grow(b.words) })
	}
}

// add puts the candidate with record x in the sets of the rules they meet.
func (b *candidateSets) add(slot uint32, x *cand) {
	b.each(x, func(s *bitset) { s.add(slot) })
}

// remove takes them out again.
func (b *candidateSets) remove(slot uint32, x *cand) {
	b.each(x, func(s *bitset) { s.remove(slot) })
}

// markNear marks in s the slots of the cells of the candidates who may live
// near enough to a site for their radius class, and of those willing to
// relocate, and returns the first and last words it marked (lo > hi: none).
// Free slots are marked too: they are in no rule's set.
func (b *candidateSets) markNear(lat, lon float64, s []uint64) (lo, hi int) {
	lo, hi = len(s), -1
	mark := func(rs runs) {
		for _, r := range rs {
			markRun(s, r)
			lo, hi = min(lo, int(r.lo>>6)), max(hi, int((r.hi-1)>>6))
		}
	}
	mark(b.relocating.owned)
	for class := range radiusClasses {
		cells := b.cells[class]
		if len(cells) == 0 {
			continue
		}
		from, to, bounded := block(lat, lon, uint8(class))
		rows, cols := int64(to.lat)-int64(from.lat)+1, int64(to.lon)-int64(from.lon)+1
		if !bounded || rows*cols > int64(len(cells)) {
			// Fewer cells than the block has: look at each.
			for key, c := range cells {
				if !bounded || key.lat >= from.lat && key.lat <= to.lat && key.lon >= from.lon && key.lon <= to.lon {
					mark(c.owned)
				}
			}
			continue
		}
		for row := from.lat; row <= to.lat; row++ {
			for col := from.lon; col <= to.lon; col++ {
				if c, ok := cells[cellKey{row, col}]; ok {
					mark(c.owned)
				}
			}
		}
	}
	return lo, hi
}
