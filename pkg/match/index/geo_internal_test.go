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
