package web

import (
	"fmt"
	"math"
	"strings"

	"github.com/clinjobs/clinjobs/pkg/jobs"
)

// The map of a vacancy's sites: an inline SVG of Great Britain and the
// island of Ireland, coarse outlines written here from a few dozen points
// of coastline each (enough to see where in the UK a post is), with each
// site marked and numbered as the list beside it is.

// The map's frame, in degrees, and its size in SVG units.
const (
	mapWest, mapEast   = -10.8, 2.1
	mapSouth, mapNorth = 49.8, 59.0
	mapWidth           = 300.0
)

// cosMid shrinks longitude to distance at the frame's middle latitude.
var cosMid = math.Cos((mapSouth + mapNorth) / 2 * math.Pi / 180)

// mapHeight keeps the frame's proportions.
var mapHeight = math.Round(mapWidth * (mapNorth - mapSouth) / ((mapEast - mapWest) * cosMid))

// Coastline points, latitude then longitude, clockwise.
var greatBritain = [][2]float64{
	{50.07, -5.71}, {49.96, -5.2}, {50.35, -4.1}, {50.22, -3.64}, {50.6, -3.4}, {50.52, -2.45}, {50.7, -1.5}, {50.73, -0.79},
	{50.73, 0.24}, {50.91, 0.97}, {51.13, 1.38}, {51.38, 1.45}, {51.5, 0.7}, {51.78, 1.15}, {51.95, 1.35}, {52.48, 1.76},
	{52.93, 1.3}, {52.95, 0.5}, {52.8, 0.3}, {53.14, 0.34}, {53.58, 0.12}, {54.12, -0.08}, {54.49, -0.61}, {54.69, -1.2},
	{55.02, -1.42}, {55.77, -2.0}, {55.9, -2.15}, {56.0, -2.52}, {56.05, -2.8}, {56.28, -2.59}, {56.45, -2.85}, {56.7, -2.45},
	{57.15, -2.08}, {57.5, -1.78}, {57.69, -2.0}, {57.68, -2.95}, {57.5, -4.2}, {57.86, -3.77}, {58.1, -3.65}, {58.44, -3.09},
	{58.64, -3.03}, {58.67, -3.37}, {58.62, -5.0}, {58.15, -5.25}, {57.9, -5.2}, {57.73, -5.7}, {57.28, -5.71}, {57.0, -5.83},
	{56.73, -6.22}, {56.41, -5.47}, {55.6, -5.45}, {55.3, -5.75}, {55.6, -4.9}, {55.46, -4.63}, {55.24, -4.86}, {54.84, -5.12},
	{54.64, -4.86}, {54.8, -4.05}, {54.95, -3.4}, {54.71, -3.5}, {54.49, -3.61}, {54.1, -3.22}, {54.07, -2.9}, {53.82, -3.05},
	{53.65, -3.0}, {53.4, -3.05}, {53.35, -3.32}, {53.33, -3.83}, {53.42, -4.4}, {53.31, -4.68}, {53.1, -4.55}, {52.8, -4.75},
	{52.9, -4.1}, {52.72, -4.06}, {52.41, -4.09}, {52.1, -4.7}, {51.88, -5.31}, {51.68, -5.15}, {51.67, -4.7}, {51.57, -4.3},
	{51.6, -3.9}, {51.45, -3.17}, {51.55, -2.95}, {51.7, -2.5}, {51.48, -2.7}, {51.33, -3.0}, {51.2, -3.5}, {51.2, -4.1},
	{51.02, -4.53}, {50.55, -4.94}, {50.42, -5.09}, {50.21, -5.48},
}

var ireland = [][2]float64{
	{55.38, -7.37}, {55.22, -6.15}, {54.66, -5.6}, {54.35, -5.5}, {54.0, -6.35}, {53.35, -6.2}, {52.98, -6.03}, {52.17, -6.36},
	{52.13, -7.0}, {51.8, -8.3}, {51.45, -9.8}, {52.13, -10.4}, {52.56, -9.93}, {53.25, -9.3}, {53.4, -10.2}, {53.95, -10.2},
	{54.3, -8.6}, {54.65, -8.7}, {55.15, -8.3},
}

// siteMap is what the template draws.
type siteMap struct {
	Width, Height float64
	Land          []string // SVG path data, one a landmass
	Pins          []pin
}

type pin struct {
	X, Y  float64
	Label string // the site's number in the list
}

func project(lat, lon float64) (x, y float64) {
	x = (lon - mapWest) * cosMid / ((mapEast - mapWest) * cosMid) * mapWidth
	y = (mapNorth - lat) / (mapNorth - mapSouth) * mapHeight
	return math.Round(x*10) / 10, math.Round(y*10) / 10
}

func outline(points [][2]float64) string {
	var b strings.Builder
	for i, p := range points {
		x, y := project(p[0], p[1])
		if i == 0 {
			fmt.Fprintf(&b, "M%g %g", x, y)
		} else {
			fmt.Fprintf(&b, "L%g %g", x, y)
		}
	}
	b.WriteString("Z")
	return b.String()
}

// drawMap places sites on the map; a site outside the frame is left off
// (it is still in the list).
func drawMap(sites []jobs.SiteView) siteMap {
	m := siteMap{Width: mapWidth, Height: mapHeight, Land: []string{outline(greatBritain), outline(ireland)}}
	for i, s := range sites {
		if s.Latitude < mapSouth || s.Latitude > mapNorth || s.Longitude < mapWest || s.Longitude > mapEast {
			continue
		}
		x, y := project(s.Latitude, s.Longitude)
		m.Pins = append(m.Pins, pin{X: x, Y: y, Label: fmt.Sprint(i + 1)})
	}
	return m
}
