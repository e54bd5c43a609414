package index

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Hit is one match: who or what fits, and the score of the fit.
type Hit struct {
	ID             string
	Score          int
	DistanceTenths int64
	// ClosesAtUnixMs is the vacancy's, for ranking a candidate's list.
	ClosesAtUnixMs int64
}

// Ranked returns h as match ranks it.
func (h Hit) Ranked() match.Ranked {
	return match.Ranked{ID: h.ID, Score: h.Score, ClosesAtUnixMs: h.ClosesAtUnixMs}
}

// Index is the fast matcher. The zero value is not usable; call New.
type Index struct {
	mu sync.RWMutex

	cands    []cand
	candRevs []uint64
	exts     []ext
	candIDs  *idStore
	// blobs keeps each candidate's blob (see compactCandidate) as candIDs
	// keeps ids.
	blobs    *idStore
	candSlot slotTable
	cb       *candidateSets
	// marks are bitsets over the slots (*[]uint64) for queries to mark
	// the slots near a site in; each comes back all zero.
	marks sync.Pool

	vacs     []vac
	vacProto []*eventsv1.Vacancy
	// vacGroups are each vacancy's essential and desirable groups, compiled.
	vacGroups []match.Groups
	vacSlot   map[string]uint32
	vacFree   []uint32
	vb        *vacancyBitmaps
}

// New returns an empty index.
func New() *Index {
	return &Index{candIDs: &idStore{}, blobs: &idStore{}, candSlot: newSlotTable(), cb: newCandidateSets(), vacSlot: map[string]uint32{}, vb: newVacancyBitmaps()}
}

// PutCandidate records c at revision rev, replacing what the index held,
// unless it holds a later revision; it reports whether c was recorded.
func (ix *Index) PutCandidate(c *eventsv1.Candidate, rev uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	x, e, blob := compactCandidate(c)
	return ix.place(c.GetId(), x, e, blob, rev, 1)
}

// candID returns the id of the candidate in a slot.
func (ix *Index) candID(slot uint32) string { return ix.candIDs.get(ix.cands[slot].id) }

// place puts a candidate at revision rev in a slot of their home's cell
// (the one they had if they stay there) unless the index holds a later
// revision of them, and reports whether it did; want is how many
// candidates a bulk load is about to place in that home. ix.mu is held.
func (ix *Index) place(id string, x cand, e ext, blob string, rev uint64, want int) bool {
	slot, ok := ix.candSlot.get(id, ix.candID)
	h := homeOf(&x)
	compact := false
	switch {
	case ok && ix.candRevs[slot] > rev:
		return false
	case ok:
		ix.cb.remove(slot, &ix.cands[slot], &ix.exts[slot])
		x.id = ix.cands[slot].id
		compact = ix.blobs.drop(ix.exts[slot].blob)
		if was := homeOf(&ix.cands[slot]); was != h {
			// Moved: to a slot of the new home.
			moved := ix.claim(h, want)
			ix.candSlot.set(id, moved, ix.candID)
			ix.cands[slot], ix.candRevs[slot], ix.exts[slot] = cand{}, 0, ext{}
			ix.cb.release(was, slot)
			slot = moved
		}
	default:
		x.id = ix.candIDs.add(id)
		slot = ix.claim(h, want)
		ix.candSlot.put(id, slot, ix.candID)
	}
	if blob != "" {
		e.blob = ix.blobs.add(blob)
	}
	ix.cands[slot], ix.candRevs[slot], ix.exts[slot] = x, rev, e
	ix.cb.add(slot, &ix.cands[slot], &ix.exts[slot])
	if compact {
		ix.compactIDs()
	}
	return true
}

// claim returns a free slot of a home's cell, the records growing with
// the slots. ix.mu is held.
func (ix *Index) claim(h home, want int) uint32 {
	slot := ix.cb.claim(h, want)
	if n := ix.cb.slots; n > len(ix.cands) {
		ix.cands = append(ix.cands, make([]cand, n-len(ix.cands))...)
		ix.candRevs = append(ix.candRevs, make([]uint64, n-len(ix.candRevs))...)
		ix.exts = append(ix.exts, make([]ext, n-len(ix.exts))...)
	}
	return slot
}

// RemoveCandidate forgets a candidate and reports whether it was known.
func (ix *Index) RemoveCandidate(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	slot, ok := ix.candSlot.get(id, ix.candID)
	if !ok {
		return false
	}
	x := &ix.cands[slot]
	ix.cb.remove(slot, x, &ix.exts[slot])
	ix.candSlot.remove(id, ix.candID)
	compact := ix.candIDs.drop(x.id)
	compact = ix.blobs.drop(ix.exts[slot].blob) || compact
	h := homeOf(x)
	ix.cands[slot], ix.candRevs[slot], ix.exts[slot] = cand{}, 0, ext{}
	ix.cb.release(h, slot)
	if compact {
		ix.compactIDs()
	}
	return true
}

// compactIDs copies the ids and blobs of the candidates held to new
// stores, leaving those of candidates who left behind with the old ones,
// for the garbage collector once no match names them. ix.mu is held.
func (ix *Index) compactIDs() {
	ids, blobs := &idStore{}, &idStore{}
	ix.candSlot.each(func(slot uint32) {
		c, e := &ix.cands[slot], &ix.exts[slot]
		c.id = ids.add(ix.candIDs.get(c.id))
		if e.blob.n > 0 {
			e.blob = blobs.add(ix.blobs.get(e.blob))
		}
	})
	ix.candIDs, ix.blobs = ids, blobs
}

// Candidate returns a candidate, with the fields the rules read (no email
// or name: the index does not keep them), and its revision.
func (ix *Index) Candidate(id string) (*eventsv1.Candidate, uint64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.candSlot.get(id, ix.candID)
	if !ok {
		return nil, 0, false
	}
	var blob string
	if b := ix.exts[slot].blob; b.n > 0 {
		blob = ix.blobs.get(b)
	}
	return ix.cands[slot].candidate(ix.candID(slot), blob), ix.candRevs[slot], true
}

// PutVacancy records v at revision rev, unless the index holds a later
// revision; a vacancy that is not open is forgotten. It reports whether the
// index changed.
func (ix *Index) PutVacancy(v *eventsv1.Vacancy, rev uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	id := v.GetId()
	slot, ok := ix.vacSlot[id]
	if ok && ix.vacs[slot].rev > rev {
		return false
	}
	if ok {
		ix.vb.remove(slot, &ix.vacs[slot], ix.vacProto[slot].GetRequirements())
	}
	v = eventsv1.UpgradeVacancy(v)
	if v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN {
		if ok {
			ix.freeVacancy(id, slot)
		}
		return true
	}
	if !ok {
		if n := len(ix.vacFree); n > 0 {
			slot, ix.vacFree = ix.vacFree[n-1], ix.vacFree[:n-1]
		} else {
			slot = uint32(len(ix.vacs))
			ix.vacs = append(ix.vacs, vac{})
			ix.vacProto = append(ix.vacProto, nil)
			ix.vacGroups = append(ix.vacGroups, match.Groups{})
		}
	}
	x := compactVacancy(v, rev)
	ix.vacs[slot], ix.vacProto[slot], ix.vacSlot[id] = x, v, slot
	ix.vacGroups[slot] = match.CompileGroups(v.GetRequirements())
	ix.vb.add(slot, &x, v.GetRequirements())
	return true
}

func (ix *Index) freeVacancy(id string, slot uint32) {
	delete(ix.vacSlot, id)
	ix.vacs[slot], ix.vacProto[slot], ix.vacGroups[slot] = vac{}, nil, match.Groups{}
	ix.vacFree = append(ix.vacFree, slot)
}

// RemoveVacancy forgets a vacancy and reports whether it was known.
func (ix *Index) RemoveVacancy(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	slot, ok := ix.vacSlot[id]
	if !ok {
		return false
	}
	ix.vb.remove(slot, &ix.vacs[slot], ix.vacProto[slot].GetRequirements())
	ix.freeVacancy(id, slot)
	return true
}

// Vacancy returns an open vacancy the index holds.
func (ix *Index) Vacancy(id string) (*eventsv1.Vacancy, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.vacSlot[id]
	if !ok {
		return nil, false
	}
	return ix.vacProto[slot], true
}

// Vacancies returns every open vacancy the index holds.
func (ix *Index) Vacancies() []*eventsv1.Vacancy {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]*eventsv1.Vacancy, 0, len(ix.vacSlot))
	for _, slot := range ix.vacSlot {
		out = append(out, ix.vacProto[slot])
	}
	return out
}

// Sizes returns how many candidates and open vacancies the index holds.
func (ix *Index) Sizes() (candidates, vacancies int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.candSlot.n, len(ix.vacSlot)
}

// CandidateIDs returns the ids of every candidate held.
func (ix *Index) CandidateIDs() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]string, 0, ix.candSlot.n)
	ix.candSlot.each(func(slot uint32) { out = append(out, ix.candID(slot)) })
	return out
}

// MatchVacancy returns every candidate v fits at now, in no set order.
func (ix *Index) MatchVacancy(v *eventsv1.Vacancy, now time.Time) []Hit {
	return ix.matchVacancy(v, now, 0)
}

// CountVacancy returns how many candidates v fits at now, counting no
// further than limit (0: no limit): limit 1 asks whether any does.
func (ix *Index) CountVacancy(v *eventsv1.Vacancy, now time.Time, limit int) int {
	return len(ix.matchVacancy(v, now, limit))
}

func (ix *Index) matchVacancy(v *eventsv1.Vacancy, now time.Time, limit int) []Hit {
	nowMs := now.UnixMilli()
	if v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN || nowMs >= v.GetClosesAtUnixMs() {
		return nil
	}
	v = eventsv1.UpgradeVacancy(v)
	x := compactVacancy(v, 0)
	if x.family == 0xff || x.band == 0xff || x.contract == 0xff || x.setting == 0xff {
		return nil
	}
	r := v.GetRequirements()
	groups := match.CompileGroups(r)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b := ix.cb
	terms := []term{{&b.family[x.family]}, {&b.bandOK[x.band]}, {&b.contractOK[x.contract]}, {&b.settingOK[x.setting]}}
	if x.patterns != 0 {
		// A candidate wanting any one of the vacancy's patterns, or none.
		var any term
		for p := range nPatterns {
			if x.patterns&(1<<p) != 0 {
				any = append(any, &b.patternOK[p])
			}
		}
		terms = append(terms, any)
	}
	exactALevels, exactYears := false, false
	for _, s := range slices.Compact(slices.Sorted(slices.Values(r.GetALevelSubjects()))) {
		if s < 0 || int(s) >= nALevelSubj {
			return nil
		}
		terms = append(terms, term{&b.aLevel[s]})
	}
	switch n := int(r.GetMinALevels()); {
	case n >= nALevelSubj:
		exactALevels = true
	case n > 0:
		terms = append(terms, term{&b.aLevelsAtLeast[n]})
	}
	if class := r.GetMinDegreeClass(); class != 0 {
		if class < 0 || int(class) >= nDegreeClass {
			return nil
		}
		terms = append(terms, term{&b.classAtLeast[class]})
		if subjects := r.GetDegreeSubjects(); len(subjects) > 0 {
			var any term
			for _, s := range subjects {
				if s >= 0 && int(s) < nDegreeSubj && !slices.Contains(any, &b.degreeSubject[s]) {
					any = append(any, &b.degreeSubject[s])
				}
			}
			if len(any) == 0 {
				return nil
			}
			terms = append(terms, any)
		}
	}
	if r.GetAccreditedDegree() {
		terms = append(terms, term{&b.accredited})
	}
	if r.GetMsc() {
		terms = append(terms, term{&b.msc})
	}
	if r.GetNvq() {
		terms = append(terms, term{&b.nvq})
	}
	for _, reg := range r.GetRegistrations() {
		if reg < 0 || int(reg) >= nRegs {
			return nil
		}
		terms = append(terms, term{&b.registration[reg]})
	}
	switch y := int(r.GetMinYearsExperience()); {
	case y > MaxYears:
		exactYears = true
	case y > 0:
		terms = append(terms, term{&b.yearsAtLeast[y]})
	}
	// The smallest first: most words are then left after one or two.
	slices.SortFunc(terms, func(p, q term) int { return p.size() - q.size() })

	// The candidates living near enough, and passing every rule but
	// perhaps the exact distance.
	marks, _ := ix.marks.Get().(*[]uint64)
	if marks == nil || len(*marks) < b.words {
		marks = new([]uint64)
		*marks = make([]uint64, b.words)
	}
	lo, hi := b.markNear(x.lat, x.lon, *marks)
	slots := sweep(nil, *marks, lo, hi, terms)
	ix.marks.Put(marks)
	// In batches, first the tests that need only the record, in a loop
	// short enough for the processor to have many records on their way
	// from memory at once; then the exact distance and the score of those
	// left, whose records are in the cache by then.
	// The rules the bitsets do not hold (the essential groups, a minimum
	// salary, a start date) are tested on the records of those left.
	hasGroups := len(groups.Essential) > 0
	public := match.Public(v)
	const batch = 256
	out := make([]Hit, 0, len(slots))
	for len(slots) > 0 && (limit == 0 || len(out) < limit) {
		n := min(batch, len(slots))
		kept := slots[:0]
		for _, slot := range slots[:n] {
			c := &ix.cands[slot]
			if exactALevels && int(c.aLevelCount) < int(r.GetMinALevels()) || exactYears && c.years < r.GetMinYearsExperience() {
				continue
			}
			if c.flags&flagRelocate == 0 && surelyBeyond(c, &x) {
				continue
			}
			if c.flags&flagExt != 0 && !x.admits(&ix.exts[slot]) || hasGroups && !groups.EssentialMet(&ix.exts[slot].profile) {
				continue
			}
			if !public && !ix.sees(slot, v) {
				continue
			}
			kept = append(kept, slot)
		}
		slots = slots[n:]
		for _, slot := range kept {
			if limit > 0 && len(out) == limit {
				break
			}
			c := &ix.cands[slot]
			d := distanceTenths(c, &x)
			if d > int64(c.radius)*10 && c.flags&flagRelocate == 0 {
				continue
			}
			f := fit(c, &x, d, nowMs)
			if len(groups.Desirable) > 0 {
				f.DesirablesMet, f.DesirablesAsked = groups.DesirablesMet(&ix.exts[slot].profile), len(groups.Desirable)
			}
			out = append(out, Hit{ID: ix.candIDs.get(c.id), Score: f.Score(), DistanceTenths: d, ClosesAtUnixMs: x.closesAt})
		}
	}
	return out
}

// sees reports whether the candidate in slot may see v, which is not
// public: only a candidate declaring an employer may, by what their blob
// holds. ix.mu is held.
func (ix *Index) sees(slot uint32, v *eventsv1.Vacancy) bool {
	if ix.cands[slot].flags&flagEmployer == 0 {
		return false
	}
	c := &eventsv1.Candidate{}
	if err := proto.Unmarshal([]byte(ix.blobs.get(ix.exts[slot].blob)), c); err != nil {
		panic("index: a candidate's blob does not unmarshal: " + err.Error()) // written by compactCandidate
	}
	return match.Visible(c, v)
}

// admits reports whether a candidate's minimum salary and availability
// admit the vacancy.
func (x *vac) admits(e *ext) bool {
	return x.salaryMax >= e.minSalary && (x.startDay == 0 || e.availDay == 0 || e.availDay <= x.startDay)
}

// surelyBeyond reports, without trigonometry, that c's home is further
// from the site than c's radius and the 0.1 km the distance is rounded to.
// The haversine term s = sin²(Δφ/2) + cosφ₁cosφ₂ sin²(Δλ/2) is at least
// 0.996 q, q being the same with each sine taken as its angle, while the
// angles are under 0.1 radian (q < 0.01); and the distance is beyond r
// when s > sin²(r/2R), which is at most (r/2R)². Candidates it does not
// rule out get the exact distance.
func surelyBeyond(c *cand, x *vac) bool {
	const half = math.Pi / 360
	dLat, dLon := (c.lat-x.lat)*half, (c.lon-x.lon)*half
	q := dLat*dLat + c.cosLat*x.cosLat*dLon*dLon
	if q >= 0.01 {
		return false
	}
	lim := (float64(c.radius) + 0.1) / (2 * geo.EarthRadiusKm)
	return 0.996*q > lim*lim
}

func fit(c *cand, v *vac, d, nowMs int64) match.Fit {
	return match.Fit{
		VacancySpecialisms: v.specialisms, CandidateSpecialisms: c.specialisms, DistanceTenths: d,
		RadiusKm: c.radius, Relocate: c.flags&flagRelocate != 0, VacancyBand: eventsv1.Band(v.band),
		MinBand: eventsv1.Band(c.minBand), ClosesAtUnixMs: v.closesAt, NowMs: nowMs,
	}
}

// MatchCandidate returns every open vacancy c fits at now, best first.
func (ix *Index) MatchCandidate(c *eventsv1.Candidate, now time.Time) []Hit {
	x, e, _ := compactCandidate(c)
	nowMs := now.UnixMilli()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b := ix.vb
	var families []*roaring.Bitmap
	for v := range nFamilies {
		if x.families&(1<<v) != 0 {
			families = append(families, b.family[v])
		}
	}
	if len(families) == 0 || x.minBand == 0xff {
		return nil
	}
	acc := roaring.FastOr(families...)
	acc.And(b.bandAtLeast[x.minBand])
	if x.contracts != 0 {
		var any []*roaring.Bitmap
		for v := range nContracts {
			if x.contracts&(1<<v) != 0 {
				any = append(any, b.contract[v])
			}
		}
		acc.And(roaring.FastOr(any...))
	}
	if x.patterns != 0 {
		any := []*roaring.Bitmap{b.noPatterns}
		for v := range nPatterns {
			if x.patterns&(1<<v) != 0 {
				any = append(any, b.pattern[v])
			}
		}
		acc.And(roaring.FastOr(any...))
	}
	if x.settings != 0 {
		var any []*roaring.Bitmap
		for v := range nSettings {
			if x.settings&(1<<v) != 0 {
				any = append(any, b.setting[v])
			}
		}
		acc.And(roaring.FastOr(any...))
	}
	// Take away the vacancies requiring what the candidate lacks.
	for v := 1; v < nALevelSubj; v++ {
		if x.aLevels&(1<<v) == 0 {
			acc.AndNot(b.needsALevel[v])
		}
	}
	acc.AndNot(b.needsALevelsAbove[min(int(x.aLevelCount), nALevelSubj-1)])
	if x.degreeClass == 0 {
		acc.AndNot(b.needsDegree)
	} else {
		acc.AndNot(b.needsClassAbove[x.degreeClass])
		acc.AndNot(b.subjectExcludes[x.degreeSubject])
	}
	if x.flags&flagAccredited == 0 {
		acc.AndNot(b.needsAccredited)
	}
	if x.flags&flagMSc == 0 {
		acc.AndNot(b.needsMSc)
	}
	if x.flags&flagNVQ == 0 {
		acc.AndNot(b.needsNVQ)
	}
	for v := 1; v < nRegs; v++ {
		if e.profile.Reg[v] < registered {
			acc.AndNot(b.needsRegistration[v])
		}
	}
	acc.AndNot(b.needsYearsAbove[min(max(x.years, 0), MaxYears)])
	acc.AndNot(b.needsInexpressible)

	out := make([]Hit, 0, acc.GetCardinality())
	it := acc.Iterator()
	for it.HasNext() {
		slot := it.Next()
		v := &ix.vacs[slot]
		if nowMs >= v.closesAt || x.years > MaxYears && x.years < v.yearsAsked || !v.admits(&e) {
			continue
		}
		g := &ix.vacGroups[slot]
		if len(g.Essential) > 0 && !g.EssentialMet(&e.profile) {
			continue
		}
		if !v.public && !match.Visible(c, ix.vacProto[slot]) {
			continue
		}
		d := distanceTenths(&x, v)
		if d > int64(x.radius)*10 && x.flags&flagRelocate == 0 {
			continue
		}
		f := fit(&x, v, d, nowMs)
		f.DesirablesMet, f.DesirablesAsked = g.DesirablesMet(&e.profile), len(g.Desirable)
		out = append(out, Hit{ID: ix.vacProto[slot].GetId(), Score: f.Score(), DistanceTenths: d, ClosesAtUnixMs: v.closesAt})
	}
	SortRanked(out)
	return out
}

// SortRanked sorts hits best first: score, then sooner closing, then id.
func SortRanked(hits []Hit) {
	slices.SortFunc(hits, func(a, b Hit) int { return match.Compare(a.Ranked(), b.Ranked()) })
}

// SortByID sorts hits by id.
func SortByID(hits []Hit) {
	slices.SortFunc(hits, func(a, b Hit) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}
