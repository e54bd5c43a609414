// Package geo places things in the UK: great-circle distance between points,
// UK postcode parsing, and a gazetteer that turns a postcode into coordinates
// (a built-in table of postcode areas, refined by a full postcode file an
// operator loads).
package geo

import (
	"fmt"
	"math"
)

// Point is a latitude and longitude in degrees (WGS84).
type Point struct {
	Lat float64 `json:"latitude"`
	Lon float64 `json:"longitude"`
}

// EarthRadiusKm is the mean radius of the Earth (IUGG), used for every distance.
const EarthRadiusKm = 6371.0088

// DistanceKm returns the great-circle distance between a and b in km, by the
// haversine formula, which stays accurate at the short distances that matter
// here.
func DistanceKm(a, b Point) float64 {
	return DistanceKmCos(a, b, CosLat(a.Lat), CosLat(b.Lat))
}

// CosLat is the cosine of a latitude in degrees, as DistanceKmCos wants it.
func CosLat(lat float64) float64 { return math.Cos(lat * (math.Pi / 180)) }

// DistanceKmCos is DistanceKm given the cosines of the two latitudes
// (CosLat), which a caller measuring from many fixed points keeps: the same
// arithmetic, so the very same result.
func DistanceKmCos(a, b Point, cosA, cosB float64) float64 {
	const rad = math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	sinLat, sinLon := math.Sin(dLat/2), math.Sin(dLon/2)
	s := sinLat*sinLat + cosA*cosB*sinLon*sinLon
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(s)))
}

// The box every place of the system lies in: the UK with the Channel Islands
// and the Isle of Man, with a margin.
const (
	MinLat, MaxLat = 49.0, 61.5
	MinLon, MaxLon = -9.0, 2.5
)

// InUK reports whether p lies in the box around the UK.
func InUK(p Point) bool {
	return p.Lat >= MinLat && p.Lat <= MaxLat && p.Lon >= MinLon && p.Lon <= MaxLon
}

// ValidatePoint says what is wrong with p as a place in the UK, or nil.
func ValidatePoint(p Point) error {
	if math.IsNaN(p.Lat) || math.IsNaN(p.Lon) || math.IsInf(p.Lat, 0) || math.IsInf(p.Lon, 0) {
		return fmt.Errorf("not a number")
	}
	if p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 {
		return fmt.Errorf("latitude must be -90 to 90 and longitude -180 to 180")
	}
	if !InUK(p) {
		return fmt.Errorf("%.4f, %.4f is not in the UK", p.Lat, p.Lon)
	}
	return nil
}
