package index

import (
	"math"
)

// radiusClasses are the upper bounds, in km, of the travel radius classes.
var radiusClasses = [...]int32{2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2500, 20100}

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
	// minCosLat is the cosine of the northernmost latitude the grid is sized
	// for (61.5°, north of Shetland): a degree of longitude is at least this
	// times a degree of latitude anywhere south of it.
	minCosLat = 0.47
	// margin widens cells past the class's radius, for the rounding of
	// distances to 0.1 km and the curvature the flat cell bounds ignore.
	margin = 1.1
)

// cellKey names a cell of a class's grid.
type cellKey struct{ lat, lon int32 }

// cellSize returns a class's cell size in degrees of latitude and longitude:
// at least the class's radius wide in km, so that homes within the radius of
// a point are in the 3 × 3 cells around it.
func cellSize(class uint8) (dLat, dLon float64) {
	km := float64(radiusClasses[class])*margin + 0.1
	return km / kmPerDegreeLat, km / (kmPerDegreeLat * minCosLat)
}

func cellOf(lat, lon float64, class uint8) cellKey {
	dLat, dLon := cellSize(class)
	if math.IsNaN(lat) || math.IsNaN(lon) {
		return cellKey{math.MaxInt32, math.MaxInt32}
	}
	return cellKey{int32(math.Floor(lat / dLat)), int32(math.Floor(lon / dLon))}
}

// neighbours returns the cells of a class within its radius of a point.
func neighbours(lat, lon float64, class uint8) []cellKey {
	c := cellOf(lat, lon, class)
	out := make([]cellKey, 0, 9)
	for dy := int32(-1); dy <= 1; dy++ {
		for dx := int32(-1); dx <= 1; dx++ {
			out = append(out, cellKey{c.lat + dy, c.lon + dx})
		}
	}
	return out
}
