package jobs

import (
	"context"
	"errors"
	"math"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// PlaceInput is a place as written: a UK postcode, or a latitude and longitude.
type PlaceInput struct {
	Postcode  string   `json:"postcode,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

// Resolver places postcodes; *geo.Gazetteer is one.
type Resolver interface {
	Resolve(ctx context.Context, pc geo.Postcode) (geo.Point, geo.Precision, error)
}

// place is a checked PlaceInput waiting for its postcode to be resolved.
type place struct {
	field    string
	postcode geo.Postcode
	point    geo.Point
}

func (c *checker) place(field string, in *PlaceInput) *place {
	if in == nil {
		c.add(field, "is required: a postcode, or a latitude and longitude")
		return nil
	}
	hasPC, hasLat, hasLon := in.Postcode != "", in.Latitude != nil, in.Longitude != nil
	switch {
	case hasPC && (hasLat || hasLon):
		c.add(field, "give a postcode or a latitude and longitude, not both")
	case hasPC:
		pc, err := geo.ParsePostcode(in.Postcode)
		if err != nil {
			c.add(field+"/postcode", "%q is %v", in.Postcode, err)
			return nil
		}
		return &place{field: field + "/postcode", postcode: pc}
	case hasLat && hasLon:
		p := geo.Point{Lat: *in.Latitude, Lon: *in.Longitude}
		if err := geo.ValidatePoint(p); err != nil {
			c.add(field, "%v", err)
			return nil
		}
		return &place{field: field, point: p}
	case hasLat || hasLon:
		c.add(field, "give both latitude and longitude")
	default:
		c.add(field, "is required: a postcode, or a latitude and longitude")
	}
	return nil
}

// resolve places p, turning an unknown postcode into a field error.
func (p *place) resolve(ctx context.Context, r Resolver, c *checker) (*eventsv1.Location, error) {
	if p.postcode == "" {
		return &eventsv1.Location{Latitude: round6(p.point.Lat), Longitude: round6(p.point.Lon)}, nil
	}
	pt, precision, err := r.Resolve(ctx, p.postcode)
	if errors.Is(err, geo.ErrUnknownPostcode) {
		c.add(p.field, "%s is not a known UK postcode", p.postcode)
		return nil, nil
	}
	if err != nil {
		return nil, problem.Wrap(problem.Unavailable, err, "postcodes cannot be looked up just now")
	}
	return &eventsv1.Location{Latitude: round6(pt.Lat), Longitude: round6(pt.Lon), Postcode: string(p.postcode), Precision: string(precision)}, nil
}

// round6 keeps six decimal places of a degree: about 10 cm, finer than any
// place given here, and stable through JSON.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// PlaceView is a place as read.
type PlaceView struct {
	Postcode  string  `json:"postcode,omitempty"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

func placeView(l *eventsv1.Location) PlaceView {
	return PlaceView{Postcode: l.GetPostcode(), Latitude: l.GetLatitude(), Longitude: l.GetLongitude()}
}
