package ingest

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/geo"
)

// BucketGazetteer holds a full postcode table loaded by an operator:
// "<postcode without space>" and "<outward code>" keys, "lat,lon" values.
const BucketGazetteer = "gazetteer"

// PostcodeTable is the loaded postcode table: a geo.Table.
type PostcodeTable struct {
	kv jetstream.KeyValue
}

// OpenPostcodeTable declares the gazetteer bucket and returns its table.
func OpenPostcodeTable(ctx context.Context, js jetstream.JetStream, replicas int) (*PostcodeTable, error) {
	kv, err := bus.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket: BucketGazetteer, Description: "UK postcodes and districts to coordinates, loaded by an operator",
		History: 1, Replicas: replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	return &PostcodeTable{kv: kv}, nil
}

func tableKey(s string) string { return strings.ReplaceAll(s, " ", "") }

// Lookup implements geo.Table.
func (t *PostcodeTable) Lookup(ctx context.Context, key string) (geo.Point, bool, error) {
	e, err := t.kv.Get(ctx, tableKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return geo.Point{}, false, nil
	}
	if err != nil {
		return geo.Point{}, false, fmt.Errorf("postcode table: %w", err)
	}
	lat, lon, ok := strings.Cut(string(e.Value()), ",")
	la, err1 := strconv.ParseFloat(lat, 64)
	lo, err2 := strconv.ParseFloat(lon, 64)
	if !ok || err1 != nil || err2 != nil {
		return geo.Point{}, false, fmt.Errorf("postcode table: bad entry for %s", key)
	}
	return geo.Point{Lat: la, Lon: lo}, true, nil
}

// LoadReport says what a load did.
type LoadReport struct {
	Postcodes int
	Districts int
	// Rejected are the rows not loaded, with why (the first 20 of them).
	Rejected     int
	RejectedRows []string
}

// LoadPostcodes loads a CSV of postcodes and their coordinates into the
// gazetteer bucket, and the centre of each district (the mean of its
// postcodes). Columns are found by the header row: one named like
// "postcode" or "pcds", one like "lat" or "latitude", one like "long" or
// "longitude"; without a header, they are postcode, latitude, longitude.
// Rows with a bad postcode or a place outside the UK are rejected.
func LoadPostcodes(ctx context.Context, js jetstream.JetStream, replicas int, r io.Reader) (LoadReport, error) {
	table, err := OpenPostcodeTable(ctx, js, replicas)
	if err != nil {
		return LoadReport{}, err
	}
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	pcCol, latCol, lonCol := 0, 1, 2
	var rep LoadReport
	reject := func(line int, why string) {
		rep.Rejected++
		if len(rep.RejectedRows) < 20 {
			rep.RejectedRows = append(rep.RejectedRows, fmt.Sprintf("line %d: %s", line, why))
		}
	}
	type sum struct {
		lat, lon float64
		n        int
	}
	districts := map[string]*sum{}
	pending := make([]jetstream.PubAckFuture, 0, 1024)
	flush := func() error {
		for _, f := range pending {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("load postcodes: %w", err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		pending = pending[:0]
		return nil
	}
	for line := 1; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			reject(line, err.Error())
			continue
		}
		if line == 1 {
			if p, la, lo, ok := header(row); ok {
				pcCol, latCol, lonCol = p, la, lo
				continue
			}
		}
		if len(row) <= max(pcCol, latCol, lonCol) {
			reject(line, "too few columns")
			continue
		}
		pc, err := geo.ParsePostcode(row[pcCol])
		if err != nil {
			reject(line, fmt.Sprintf("%q is not a postcode", row[pcCol]))
			continue
		}
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(row[latCol]), 64)
		lon, err2 := strconv.ParseFloat(strings.TrimSpace(row[lonCol]), 64)
		p := geo.Point{Lat: lat, Lon: lon}
		if err1 != nil || err2 != nil || geo.ValidatePoint(p) != nil {
			// Files mark postcodes without a place with 99.999999, 0.000000.
			reject(line, fmt.Sprintf("%s has no place in the UK", pc))
			continue
		}
		// Puts are pipelined: a full postcode file has nearly two million rows.
		f, err := js.PublishAsync("$KV."+BucketGazetteer+"."+tableKey(string(pc)), fmt.Appendf(nil, "%.6f,%.6f", lat, lon))
		if err != nil {
			return rep, fmt.Errorf("load postcodes: %w", err)
		}
		if pending = append(pending, f); len(pending) == cap(pending) {
			if err := flush(); err != nil {
				return rep, err
			}
		}
		rep.Postcodes++
		d := districts[pc.Outward()]
		if d == nil {
			d = &sum{}
			districts[pc.Outward()] = d
		}
		d.lat, d.lon, d.n = d.lat+lat, d.lon+lon, d.n+1
	}
	if err := flush(); err != nil {
		return rep, err
	}
	for outward, d := range districts {
		if _, err := table.kv.PutString(ctx, outward, fmt.Sprintf("%.6f,%.6f", d.lat/float64(d.n), d.lon/float64(d.n))); err != nil {
			return rep, fmt.Errorf("load districts: %w", err)
		}
		rep.Districts++
	}
	return rep, nil
}

// header finds the postcode, latitude and longitude columns of a header row.
func header(row []string) (pc, lat, lon int, ok bool) {
	pc, lat, lon = -1, -1, -1
	for i, name := range row {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "postcode", "pcds", "pcd", "pcd7", "pcd8", "post code":
			if pc < 0 {
				pc = i
			}
		case "lat", "latitude":
			lat = i
		case "long", "lon", "lng", "longitude":
			lon = i
		}
	}
	return pc, lat, lon, pc >= 0 && lat >= 0 && lon >= 0
}
