package geo_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/geo"
)

func TestDistanceKm(t *testing.T) {
	t.Parallel()
	london := geo.Point{Lat: 51.5074, Lon: -0.1278}
	manchester := geo.Point{Lat: 53.4808, Lon: -2.2426}
	edinburgh := geo.Point{Lat: 55.9533, Lon: -3.1883}
	tests := []struct {
		name string
		a, b geo.Point
		want float64
	}{
		{"same point", london, london, 0},
		{"London to Manchester", london, manchester, 262.0},
		{"London to Edinburgh", london, edinburgh, 534.0},
		{"one degree of latitude", geo.Point{Lat: 52, Lon: -1}, geo.Point{Lat: 53, Lon: -1}, 111.19},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := geo.DistanceKm(tt.a, tt.b)
			if math.Abs(got-tt.want) > 0.5 {
				t.Errorf("got %.2f km, want %.2f", got, tt.want)
			}
			if back := geo.DistanceKm(tt.b, tt.a); math.Abs(back-got) > 1e-9 {
				t.Errorf("not symmetric: %.6f and %.6f", got, back)
			}
		})
	}
}

func TestParsePostcode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"SE1 7EH", "SE1 7EH", true},
		{"se17eh", "SE1 7EH", true},
		{" m13 9wl ", "M13 9WL", true},
		{"W1A 1AA", "W1A 1AA", true},
		{"EC1A 1BB", "EC1A 1BB", true},
		{"B1 1AA", "B1 1AA", true},
		{"GIR 0AA", "GIR 0AA", true},
		{"", "", false},
		{"SE1", "", false},
		{"SE1 7E", "", false},
		{"1SE 7EH", "", false},
		{"SE1 EH7", "", false},
		{"SE1-7EH", "", false},
		{"ABCDE 1AA", "", false},
		{"SE1 7EH\x00", "", false},
		{"ＳＥ1 7EH", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := geo.ParsePostcode(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

type table map[string]geo.Point

func (t table) Lookup(_ context.Context, key string) (geo.Point, bool, error) {
	p, ok := t[key]
	return p, ok, nil
}

func TestGazetteer(t *testing.T) {
	t.Parallel()
	full := table{"SE1 7EH": {Lat: 51.4989, Lon: -0.1187}, "M13": {Lat: 53.46, Lon: -2.22}}
	g, err := geo.NewGazetteer(full)
	if err != nil {
		t.Fatal(err)
	}
	if g.Areas() < 120 {
		t.Fatalf("only %d postcode areas built in", g.Areas())
	}
	ctx := context.Background()
	tests := []struct {
		pc   geo.Postcode
		want geo.Precision
	}{
		{"SE1 7EH", geo.PrecisionPostcode},
		{"M13 9WL", geo.PrecisionDistrict},
		{"LS1 3EX", geo.PrecisionArea},
	}
	for _, tt := range tests {
		p, prec, err := g.Resolve(ctx, tt.pc)
		if err != nil || prec != tt.want || !geo.InUK(p) {
			t.Errorf("Resolve(%s) = %v %s %v, want %s in the UK", tt.pc, p, prec, err, tt.want)
		}
	}
	if _, _, err := g.Resolve(ctx, "QQ1 1AA"); !errors.Is(err, geo.ErrUnknownPostcode) {
		t.Errorf("unknown area: %v", err)
	}
	if a := g.AreaOf(geo.Point{Lat: 53.48, Lon: -2.24}); a != "M" {
		t.Errorf("AreaOf(Manchester) = %s", a)
	}
	for area, want := range map[string]string{"M": "North West", "SE": "London", "CF": "Wales", "EH": "Scotland", "BT": "Northern Ireland", "B": "Midlands"} {
		if got := g.Region(area); got != want {
			t.Errorf("Region(%s) = %q, want %q", area, got, want)
		}
	}
}

func FuzzParsePostcode(f *testing.F) {
	for _, s := range []string{"SE1 7EH", "m139wl", "GIR 0AA", "EC1A 1BB", "", "W1A1AA", "Z", "99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pc, err := geo.ParsePostcode(s)
		if err != nil {
			return
		}
		// A parsed postcode is normal: parsing it again changes nothing.
		again, err := geo.ParsePostcode(string(pc))
		if err != nil || again != pc {
			t.Fatalf("ParsePostcode(%q) = %q, but that parses to %q, %v", s, pc, again, err)
		}
		if pc.Area() == "" || len(pc.Outward()) < 2 {
			t.Fatalf("ParsePostcode(%q) = %q with area %q, outward %q", s, pc, pc.Area(), pc.Outward())
		}
	})
}
