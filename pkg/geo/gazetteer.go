package geo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
)

// Precision says how closely a resolved postcode was placed.
type Precision string

// The precisions of a resolved postcode, finest first.
const (
	PrecisionPostcode Precision = "postcode"
	PrecisionDistrict Precision = "district"
	PrecisionArea     Precision = "area"
)

// ErrUnknownPostcode is returned for a well-formed postcode the gazetteer
// cannot place: its area does not exist.
var ErrUnknownPostcode = errors.New("unknown postcode")

// Table is a full postcode table loaded by an operator, such as the open
// postcode file. Lookup reports whether the postcode (or, for a district, its
// outward code) is in it.
type Table interface {
	Lookup(ctx context.Context, key string) (Point, bool, error)
}

// Gazetteer resolves postcodes to points: the full table when one is loaded
// and knows the postcode or its district, else the centre of its postcode
// area from the table built into this package.
type Gazetteer struct {
	areas   map[string]Point
	regions map[string]string
	table   Table
}

//go:embed areas.csv
var areasCSV []byte

// NewGazetteer returns a gazetteer over the built-in areas and table, which
// may be nil.
func NewGazetteer(table Table) (*Gazetteer, error) {
	g := &Gazetteer{areas: map[string]Point{}, regions: map[string]string{}, table: table}
	if err := g.readAreas(areasCSV); err != nil {
		return nil, err
	}
	return g, nil
}

// readAreas reads the built-in table: area, latitude, longitude, main town,
// and the NHS England region (or the nation) holding most of the area.
func (g *Gazetteer) readAreas(data []byte) error {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return fmt.Errorf("read postcode areas: %w", err)
	}
	for _, row := range rows[1:] {
		lat, err1 := strconv.ParseFloat(row[1], 64)
		lon, err2 := strconv.ParseFloat(row[2], 64)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("postcode area %s: %w", row[0], err)
		}
		g.areas[row[0]] = Point{Lat: lat, Lon: lon}
		g.regions[row[0]] = row[4]
	}
	return nil
}

// Region returns the NHS England region, or the nation, of a postcode area,
// such as "London" or "Scotland"; "" for an unknown area.
func (g *Gazetteer) Region(area string) string { return g.regions[area] }

// Resolve places a postcode.
func (g *Gazetteer) Resolve(ctx context.Context, pc Postcode) (Point, Precision, error) {
	area, ok := g.areas[pc.Area()]
	if !ok {
		return Point{}, "", fmt.Errorf("%s: %w: no postcode area %s", pc, ErrUnknownPostcode, pc.Area())
	}
	if g.table != nil {
		if p, ok, err := g.table.Lookup(ctx, string(pc)); err != nil {
			return Point{}, "", fmt.Errorf("resolve %s: %w", pc, err)
		} else if ok {
			return p, PrecisionPostcode, nil
		}
		if p, ok, err := g.table.Lookup(ctx, pc.Outward()); err != nil {
			return Point{}, "", fmt.Errorf("resolve %s: %w", pc, err)
		} else if ok {
			return p, PrecisionDistrict, nil
		}
	}
	return area, PrecisionArea, nil
}

// Areas returns the number of postcode areas built in.
func (g *Gazetteer) Areas() int { return len(g.areas) }

// AreaOf returns the postcode area whose centre is nearest p: a region for
// reporting, from coordinates alone.
func (g *Gazetteer) AreaOf(p Point) string {
	best, bestD := "", 0.0
	for a, c := range g.areas {
		if d := DistanceKm(p, c); best == "" || d < bestD || d == bestD && a < best {
			best, bestD = a, d
		}
	}
	return best
}
