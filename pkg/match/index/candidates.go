package index

import (
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Limits of the enums and counts the bitmaps cover.
const (
	nFamilies    = 6  // RoleFamily values 0..5
	nBands       = 12 // Band values 0..11
	nContracts   = 7
	nPatterns    = 9
	nSettings    = 5
	nALevelSubj  = 10
	nDegreeSubj  = 11
	nDegreeClass = 5
	nRegs        = 8
	// MaxYears is the most years of experience counted exactly.
	MaxYears = 50
)

const (
	flagAccredited = 1 << iota
	flagMSc
	flagNVQ
	flagRelocate
	// flagExt: the candidate asks a minimum salary or gives a date they
	// are available from, which only the extended record holds.
	flagExt
	// flagEmployer: the candidate declares an employer (the blob holds
	// it), so may see some internal or restricted vacancies.
	flagEmployer
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
	patterns      uint16
	families      uint8
	minBand       uint8
	contracts     uint8
	settings      uint8
	aLevelCount   uint8
	degreeSubject uint8
	degreeClass   uint8
	flags         uint8
	class         uint8
}

// ext is the rest of a candidate's record, read only by the rules that
// need it: their qualifications as the essential and desirable groups test
// them, their minimum salary and availability, and where the fields that
// neither record holds are kept (marshalled, for [Index.Candidate]).
type ext struct {
	profile   match.Profile
	minSalary int32
	// availDay is the date available from as the number YYYYMMDD (0: none).
	availDay int32
	blob     idRef
}

// dayNumber is a YYYY-MM-DD date as the number YYYYMMDD, 0 for none; the
// numbers order as the dates do.
func dayNumber(date string) int32 {
	n, err := strconv.Atoi(strings.ReplaceAll(date, "-", ""))
	if err != nil || len(date) != 10 {
		return 0
	}
	return int32(n)
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

// compactCandidate returns c in compact form, but for where its id is, its
// extended record, but for where its blob is, and the blob: the fields the
// rules read that neither record holds as they are, marshalled ("" when
// there are none).
func compactCandidate(c *eventsv1.Candidate) (cand, ext, string) {
	c = eventsv1.UpgradeCandidate(c)
	q := c.GetQualifications()
	e := ext{profile: match.ProfileOf(q), minSalary: c.GetMinSalary(), availDay: dayNumber(c.GetAvailableFrom())}
	x := cand{
		lat: c.GetHome().GetLatitude(), lon: c.GetHome().GetLongitude(), cosLat: geo.CosLat(c.GetHome().GetLatitude()),
		years: q.GetYearsExperience(), radius: c.GetTravelRadiusKm(),
		specialisms: enumSet(c.GetSpecialisms(), 32),
		aLevels:     uint16(enumSet(q.GetALevels(), nALevelSubj)),
		families:    uint8(enumSet(c.GetRoleFamilies(), nFamilies)),
		contracts:   uint8(enumSet(c.GetContracts(), nContracts)),
		patterns:    uint16(enumSet(c.GetWorkingPatterns(), nPatterns)),
		settings:    uint8(enumSet(c.GetSettings(), nSettings)),
		aLevelCount: clamp8(len(q.GetALevels())),
	}
	if b := c.GetMinBand(); b >= 0 && int(b) < nBands {
		x.minBand = uint8(b)
	} else {
		x.minBand = math.MaxUint8
	}
	d := q.GetDegree()
	if d.GetClass() > 0 && int(d.GetClass()) < nDegreeClass && d.GetSubject() >= 0 && int(d.GetSubject()) < nDegreeSubj && !d.GetPredicted() {
		x.degreeClass, x.degreeSubject = uint8(d.GetClass()), uint8(d.GetSubject())
	}
	msc := e.profile.Awards&(1<<eventsv1.Award_AWARD_MSC) != 0
	for flag, on := range map[uint8]bool{flagAccredited: q.GetAccreditedDegree(), flagMSc: msc, flagNVQ: q.GetNvq(),
		flagRelocate: c.GetWillingToRelocate(), flagExt: e.minSalary > 0 || e.availDay > 0, flagEmployer: match.Declares(c)} {
		if on {
			x.flags |= flag
		}
	}
	x.class = radiusClass(x.radius)

	// The blob: what the records do not hold as it is.
	rest := &eventsv1.Candidate{MinSalary: c.GetMinSalary(), AvailableFrom: c.GetAvailableFrom()}
	if match.Declares(c) {
		rest.Employment = c.GetEmployment()
	}
	if p := c.GetHome().GetPrecision(); p != "" {
		rest.Home = &eventsv1.Location{Precision: p}
	}
	if q != nil {
		rq := proto.Clone(q).(*eventsv1.Qualifications)
		rq.ALevels, rq.AccreditedDegree, rq.Nvq, rq.YearsExperience = nil, false, false, 0
		// The record holds an awarded degree's subject and class; the
		// blob the rest (a predicted class, an integrated master's).
		if x.degreeClass != 0 && !d.GetIntegratedMasters() || proto.Size(d) == 0 {
			rq.Degree = nil
		}
		if proto.Size(rq) > 0 {
			rest.Qualifications = rq
		}
	}
	var blob string
	if proto.Size(rest) > 0 {
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(rest)
		blob = string(b)
	}
	return x, e, blob
}

// candidate rebuilds the fields of a candidate the rules read from its
// record and its blob.
func (x *cand) candidate(id, blob string) *eventsv1.Candidate {
	c := &eventsv1.Candidate{}
	if err := proto.Unmarshal([]byte(blob), c); err != nil {
		panic("index: a candidate's blob does not unmarshal: " + err.Error()) // written by compactCandidate
	}
	if c.Home == nil {
		c.Home = &eventsv1.Location{}
	}
	if c.Qualifications == nil {
		c.Qualifications = &eventsv1.Qualifications{}
	}
	c.Id, c.Home.Latitude, c.Home.Longitude = id, x.lat, x.lon
	c.TravelRadiusKm, c.WillingToRelocate, c.MinBand = x.radius, x.flags&flagRelocate != 0, eventsv1.Band(x.minBand)
	q := c.Qualifications
	q.AccreditedDegree, q.Nvq, q.YearsExperience = x.flags&flagAccredited != 0, x.flags&flagNVQ != 0, x.years
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
	for v := range nPatterns {
		if x.patterns&(1<<v) != 0 {
			c.WorkingPatterns = append(c.WorkingPatterns, eventsv1.WorkingPattern(v))
		}
	}
	for v := range nSettings {
		if x.settings&(1<<v) != 0 {
			c.Settings = append(c.Settings, eventsv1.Setting(v))
		}
	}
	for v := range nALevelSubj {
		if x.aLevels&(1<<v) != 0 {
			c.Qualifications.ALevels = append(c.Qualifications.ALevels, eventsv1.ALevelSubject(v))
		}
	}
	if x.degreeClass > 0 && c.Qualifications.Degree == nil {
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
	patternOK      [nPatterns]bitset // lists the pattern, or none
	settingOK      [nSettings]bitset // lists the setting, or none
	aLevel         [nALevelSubj]bitset
	aLevelsAtLeast [nALevelSubj]bitset // at least n A levels
	degreeSubject  [nDegreeSubj]bitset
	classAtLeast   [nDegreeClass]bitset
	accredited     bitset
	msc            bitset
	nvq            bitset
	registration   [nRegs]bitset // registered; IEng's includes CEng holders, EngTech's both
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
	for _, arr := range [][]bitset{b.family[:], b.bandOK[:], b.contractOK[:], b.patternOK[:], b.settingOK[:], b.aLevel[:],
		b.aLevelsAtLeast[:], b.degreeSubject[:], b.classAtLeast[:], b.registration[:], b.yearsAtLeast[:]} {
		for i := range arr {
			f(&arr[i])
		}
	}
	f(&b.accredited)
	f(&b.msc)
	f(&b.nvq)
}

// each calls f with every bitset a candidate with records x and e belongs in.
func (b *candidateSets) each(x *cand, e *ext, f func(*bitset)) {
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
	for v := range nPatterns {
		if x.patterns == 0 || x.patterns&(1<<v) != 0 {
			f(&b.patternOK[v])
		}
	}
	for v := range nSettings {
		if x.settings == 0 || x.settings&(1<<v) != 0 {
			f(&b.settingOK[v])
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
	for v := 1; v < nRegs; v++ {
		if e.profile.Reg[v] >= registered {
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
func (b *candidateSets) add(slot uint32, x *cand, e *ext) {
	b.each(x, e, func(s *bitset) { s.add(slot) })
}

// remove takes them out again.
func (b *candidateSets) remove(slot uint32, x *cand, e *ext) {
	b.each(x, e, func(s *bitset) { s.remove(slot) })
}

// registered is the state a plain registration requirement asks.
const registered = uint8(eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED)

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
