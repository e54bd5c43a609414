package index

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/match"
)

// TestDistanceTenths: the series give the exact way's tenths for random
// pairs across and beyond the UK, and for pairs a hair either side of
// rounding up, where only falling back to the exact way can.
func TestDistanceTenths(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	check := func(lat1, lon1, lat2, lon2 float64) {
		t.Helper()
		c := cand{lat: lat1, lon: lon1, cosLat: geo.CosLat(lat1)}
		x := vac{lat: lat2, lon: lon2, cosLat: geo.CosLat(lat2)}
		want := match.DistanceTenthsCos(geo.Point{Lat: lat1, Lon: lon1}, geo.Point{Lat: lat2, Lon: lon2}, c.cosLat, x.cosLat)
		if got := distanceTenths(&c, &x); got != want {
			t.Fatalf("%v,%v to %v,%v: %d tenths, the exact way %d", lat1, lon1, lat2, lon2, got, want)
		}
	}
	for range 2_000_000 {
		lat1, lon1 := 49+r.Float64()*12.5, -9+r.Float64()*11.5
		switch r.IntN(3) {
		case 0: // anywhere in the box
			check(lat1, lon1, 49+r.Float64()*12.5, -9+r.Float64()*11.5)
		case 1: // a commute away
			check(lat1, lon1, lat1+r.NormFloat64()*0.3, lon1+r.NormFloat64()*0.5)
		default: // due north, (n + ½) tenths of a km and a hair
			km := (float64(r.IntN(15000)) + 0.5) / 10
			km += []float64{-1e-9, -1e-12, 0, 1e-12, 1e-9}[r.IntN(5)]
			check(lat1, lon1, lat1+km/geo.EarthRadiusKm*180/math.Pi, lon1)
		}
	}
	check(math.NaN(), 0, 51, 0)
	check(51, 0, 51, math.Inf(1))
	check(-80, 170, 80, -170)
}

// TestBlock: every home within a class's radius of a site, as the rules
// measure and round, is in a cell of the block around the site; homes are
// put at the edge of the radius in every direction, where the bounds are
// tightest.
func TestBlock(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	const rad = math.Pi / 180
	for class := range uint8(len(radiusClasses)) {
		radius := radiusClasses[class]
		if radius > 1000 {
			continue // beyond the write API's radii
		}
		for range 20000 {
			site := geo.Point{Lat: 49 + r.Float64()*12.5, Lon: -9 + r.Float64()*11.5}
			// The point at a distance and bearing from the site.
			delta := float64(radius) * (0.98 + 0.025*r.Float64()) / geo.EarthRadiusKm
			bearing := r.Float64() * 2 * math.Pi
			phi1, lambda1 := site.Lat*rad, site.Lon*rad
			phi2 := math.Asin(math.Sin(phi1)*math.Cos(delta) + math.Cos(phi1)*math.Sin(delta)*math.Cos(bearing))
			lambda2 := lambda1 + math.Atan2(math.Sin(bearing)*math.Sin(delta)*math.Cos(phi1), math.Cos(delta)-math.Sin(phi1)*math.Sin(phi2))
			home := geo.Point{Lat: phi2 / rad, Lon: lambda2 / rad}
			if match.DistanceTenths(home, site) > int64(radius)*10 {
				continue
			}
			lo, hi, bounded := block(site.Lat, site.Lon, class)
			key := cellOf(home.Lat, home.Lon, class)
			if bounded && (key.lat < lo.lat || key.lat > hi.lat || key.lon < lo.lon || key.lon > hi.lon) {
				t.Fatalf("class %d km: home %v, %.2f km from site %v, in cell %v, outside the block %v to %v",
					radius, home, float64(match.DistanceTenths(home, site))/10, site, key, lo, hi)
			}
		}
	}
}
