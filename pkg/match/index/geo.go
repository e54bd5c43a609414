package index

import (
	"math"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/match"
)

// radiusClasses are the upper bounds, in km, of the travel radius classes:
// the radii people choose most often, so that few candidates are in a
// class much wider than their own radius.
var radiusClasses = [...]int32{2, 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200, 300, 500, 1000, 2500, 20100}

// radiusClass returns the class of a radius.
func radiusClass(r int32) uint8 {
	for i, bound := range radiusClasses {
		if r <= bound {
			return uint8(i)
		}
	}
	return uint8(len(radiusClasses) - 1)
}

const (
	kmPerDegreeLat = 111.0
	// midCosLat is the cosine of 54°, the middle of the UK: a class's cells
	// are about square there.
	midCosLat = 0.59
	// cellsPerRadius is how many cells of its class's grid a radius spans:
	// a query reads the cells that a disk of the radius touches, about
	// 2 × cellsPerRadius + 1 each way; finer cells cover the disk more
	// closely but are more to look up.
	cellsPerRadius = 2
)

// cellKey names a cell of a class's grid: its row and column.
type cellKey struct{ lat, lon int32 }

// cellSize returns a class's cell size in degrees of latitude and longitude.
func cellSize(class uint8) (dLat, dLon float64) {
	km := float64(radiusClasses[class]) / cellsPerRadius
	return km / kmPerDegreeLat, km / (kmPerDegreeLat * midCosLat)
}

func cellOf(lat, lon float64, class uint8) cellKey {
	dLat, dLon := cellSize(class)
	if math.IsNaN(lat) || math.IsNaN(lon) {
		return cellKey{math.MaxInt32, math.MaxInt32}
	}
	return cellKey{int32(math.Floor(lat / dLat)), int32(math.Floor(lon / dLon))}
}

// block returns the rows and columns of a class's grid from lo to hi that
// hold every home within the class's radius of a point, or false when they
// are not bounded (the whole grid). A home within the radius is within the
// radius and 0.1 km, r, of the point even as the rules round and measure
// distances; a place that near is at most θ = r/R (R the Earth's radius)
// away in latitude, and, at latitudes up to φ = |latitude| + θ, at most
// 2 arcsin(sin(θ/2) / cos φ) in longitude, as the haversine formula has it.
// Longitudes do not wrap round: homes and sites are in the UK.
func block(lat, lon float64, class uint8) (lo, hi cellKey, bounded bool) {
	const deg = 180 / math.Pi
	theta := (float64(radiusClasses[class]) + 0.1) / geo.EarthRadiusKm
	phi := math.Abs(lat)/deg + theta
	if !(phi < math.Pi/2) { // NaN included
		return lo, hi, false
	}
	a := math.Sin(theta/2) / math.Cos(phi)
	if a >= 1 {
		return lo, hi, false
	}
	dLat, dLon := cellSize(class)
	halfLat, halfLon := theta*deg, 2*math.Asin(a)*deg
	lo = cellKey{cellIndex((lat - halfLat) / dLat), cellIndex((lon - halfLon) / dLon)}
	hi = cellKey{cellIndex((lat + halfLat) / dLat), cellIndex((lon + halfLon) / dLon)}
	return lo, hi, true
}

// cellIndex is the row or column of a position counted in cells, kept
// short of the extremes (where cellOf puts places that give no number).
func cellIndex(v float64) int32 {
	return int32(min(max(math.Floor(v), math.MinInt32+1), math.MaxInt32-1))
}

// distanceTenths is match.DistanceTenthsCos from a candidate's home to a
// site, to the same tenth of a km, at a fraction of the cost. For places
// within 9° of each other in latitude and in longitude (a thousand km north
// to south: nearly every pair in the UK) the sines and the arcsine of the
// haversine formula are their Taylor series, whose terms left out come to
// less than 1e-14 of the distance, as close as the library's functions
// are. A distance whose tenths are within a millionth of a tenth of
// rounding the other way (about one in 500,000) is measured again the
// exact way, as is any pair further apart, so the rounding is always the
// exact way's.
func distanceTenths(c *cand, x *vac) int64 {
	const (
		rad = math.Pi / 180
		// The half-angles the series are used for: 0.08 radian, 4.6°;
		// the arcsine's argument is then at most 0.114.
		maxHalf = 0.08
	)
	hLat := (x.lat - c.lat) * rad / 2
	hLon := (x.lon - c.lon) * rad / 2
	if !(math.Abs(hLat) <= maxHalf && math.Abs(hLon) <= maxHalf) { // NaN included
		return exactTenths(c, x)
	}
	sinLat, sinLon := sinSeries(hLat), sinSeries(hLon)
	s := sinLat*sinLat + c.cosLat*x.cosLat*sinLon*sinLon
	t := 2 * geo.EarthRadiusKm * asinSeries(math.Sqrt(s)) * 10
	if math.Abs(t-math.Floor(t)-0.5) < 1e-6 {
		return exactTenths(c, x)
	}
	return int64(math.Round(t))
}

func exactTenths(c *cand, x *vac) int64 {
	return match.DistanceTenthsCos(geo.Point{Lat: c.lat, Lon: c.lon}, geo.Point{Lat: x.lat, Lon: x.lon}, c.cosLat, x.cosLat)
}

// sinSeries is sin h for |h| ≤ 0.08: the series to h⁹, the first term left
// out being below 1e-19 of h.
func sinSeries(h float64) float64 {
	h2 := h * h
	return h * (1 - h2*(1.0/6-h2*(1.0/120-h2*(1.0/5040-h2*(1.0/362880)))))
}

// asinSeries is arcsin y for 0 ≤ y ≤ 0.12: the series to y¹³, the first
// term left out being below 2e-15 of y.
func asinSeries(y float64) float64 {
	y2 := y * y
	return y * (1 + y2*(1.0/6+y2*(3.0/40+y2*(5.0/112+y2*(35.0/1152+y2*(63.0/2816+y2*(231.0/13312)))))))
}
