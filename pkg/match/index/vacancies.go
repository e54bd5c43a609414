package index

import (
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/match"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// vac is an open vacancy in compact form.
type vac struct {
	lat, lon    float64
	cosLat      float64
	closesAt    int64
	rev         uint64
	specialisms uint32
	yearsAsked  int32
	salaryMax   int32
	startDay    int32 // YYYYMMDD, 0: none given
	patterns    uint16
	band        uint8
	family      uint8
	contract    uint8
	setting     uint8
	// public: anyone may see it; otherwise [match.Visible] decides.
	public bool
}

func compactVacancy(v *eventsv1.Vacancy, rev uint64) vac {
	loc := v.GetSite().GetLocation()
	return vac{
		lat: loc.GetLatitude(), lon: loc.GetLongitude(), cosLat: geo.CosLat(loc.GetLatitude()), closesAt: v.GetClosesAtUnixMs(), rev: rev,
		specialisms: enumSet(v.GetSpecialisms(), 32), yearsAsked: v.GetRequirements().GetMinYearsExperience(),
		band: enum8(v.GetBand(), nBands), family: enum8(v.GetRoleFamily(), nFamilies),
		contract: enum8(v.GetContract(), nContracts), setting: enum8(v.GetSetting(), nSettings),
		patterns: uint16(enumSet(v.GetWorkingPatterns(), nPatterns)), salaryMax: v.GetSalaryMax(), startDay: dayNumber(v.GetStartDate()),
		public: match.Public(v),
	}
}

// enum8 is v, or MaxUint8 (matching nothing) when out of range.
func enum8[E ~int32](v E, limit int) uint8 {
	if v < 0 || int(v) >= limit {
		return math.MaxUint8
	}
	return uint8(v)
}

// vacancyBitmaps are bitmaps of vacancy slots: what each vacancy is and
// what it requires.
type vacancyBitmaps struct {
	live               *roaring.Bitmap
	family             [nFamilies]*roaring.Bitmap
	bandAtLeast        [nBands]*roaring.Bitmap
	contract           [nContracts]*roaring.Bitmap
	pattern            [nPatterns]*roaring.Bitmap
	noPatterns         *roaring.Bitmap // vacancies listing no working pattern
	setting            [nSettings]*roaring.Bitmap
	needsALevel        [nALevelSubj]*roaring.Bitmap
	needsALevelsAbove  [nALevelSubj]*roaring.Bitmap // more than n A levels
	needsDegree        *roaring.Bitmap
	needsClassAbove    [nDegreeClass]*roaring.Bitmap // a class above c
	subjectExcludes    [nDegreeSubj]*roaring.Bitmap  // a degree in subjects that are not s
	needsAccredited    *roaring.Bitmap
	needsMSc           *roaring.Bitmap
	needsNVQ           *roaring.Bitmap
	needsRegistration  [nRegs]*roaring.Bitmap
	needsYearsAbove    [MaxYears + 1]*roaring.Bitmap
	needsInexpressible *roaring.Bitmap // requirements outside what the bitmaps cover
}

func newVacancyBitmaps() *vacancyBitmaps {
	b := &vacancyBitmaps{live: roaring.New(), needsDegree: roaring.New(), needsAccredited: roaring.New(),
		needsMSc: roaring.New(), needsNVQ: roaring.New(), needsInexpressible: roaring.New(), noPatterns: roaring.New()}
	for _, arr := range [][]*roaring.Bitmap{b.family[:], b.bandAtLeast[:], b.contract[:], b.pattern[:], b.setting[:], b.needsALevel[:],
		b.needsALevelsAbove[:], b.needsClassAbove[:], b.subjectExcludes[:], b.needsRegistration[:], b.needsYearsAbove[:]} {
		for i := range arr {
			arr[i] = roaring.New()
		}
	}
	return b
}

// each calls f with every bitmap a vacancy's slot belongs in.
func (b *vacancyBitmaps) each(x *vac, r *eventsv1.Requirements, f func(*roaring.Bitmap)) {
	f(b.live)
	if x.family != math.MaxUint8 {
		f(b.family[x.family])
	}
	for v := 0; x.band != math.MaxUint8 && v <= int(x.band); v++ {
		f(b.bandAtLeast[v])
	}
	if x.contract != math.MaxUint8 {
		f(b.contract[x.contract])
	}
	if x.setting != math.MaxUint8 {
		f(b.setting[x.setting])
	}
	if x.patterns == 0 {
		f(b.noPatterns)
	}
	for p := range nPatterns {
		if x.patterns&(1<<p) != 0 {
			f(b.pattern[p])
		}
	}
	inexpressible := false
	for _, s := range r.GetALevelSubjects() {
		if s >= 0 && int(s) < nALevelSubj {
			f(b.needsALevel[s])
		} else {
			inexpressible = true
		}
	}
	n := int(r.GetMinALevels())
	for v := 0; v < nALevelSubj && v < n; v++ {
		f(b.needsALevelsAbove[v])
	}
	if n >= nALevelSubj {
		inexpressible = true
	}
	if class := r.GetMinDegreeClass(); class != 0 {
		f(b.needsDegree)
		if class < 0 || int(class) >= nDegreeClass {
			inexpressible = true
		}
		for c := 0; c < nDegreeClass && c < int(class); c++ {
			f(b.needsClassAbove[c])
		}
		if subjects := r.GetDegreeSubjects(); len(subjects) > 0 {
			listed := enumSet(subjects, nDegreeSubj)
			for s := range nDegreeSubj {
				if listed&(1<<s) == 0 {
					f(b.subjectExcludes[s])
				}
			}
		}
	}
	if r.GetAccreditedDegree() {
		f(b.needsAccredited)
	}
	if r.GetMsc() {
		f(b.needsMSc)
	}
	if r.GetNvq() {
		f(b.needsNVQ)
	}
	for _, reg := range r.GetRegistrations() {
		if reg >= 0 && int(reg) < nRegs {
			f(b.needsRegistration[reg])
		} else {
			inexpressible = true
		}
	}
	y := int(r.GetMinYearsExperience())
	for v := 0; v <= MaxYears && v < y; v++ {
		f(b.needsYearsAbove[v])
	}
	if inexpressible {
		f(b.needsInexpressible)
	}
}

func (b *vacancyBitmaps) add(slot uint32, x *vac, r *eventsv1.Requirements) {
	b.each(x, r, func(bm *roaring.Bitmap) { bm.Add(slot) })
}

func (b *vacancyBitmaps) remove(slot uint32, x *vac, r *eventsv1.Requirements) {
	b.each(x, r, func(bm *roaring.Bitmap) { bm.Remove(slot) })
}
