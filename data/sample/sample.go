// Package sample holds the bundled Xiangshan (象山县, 330225) dataset and turns it into one data.Batch. What is real and what
// is synthetic is said in xiangshan/SOURCES.md; the whole load goes through the same reader as `civmap import`.
package sample

import (
	"bytes"
	"civmap/internal/edit"
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/data/ingest"
	"civmap/gazetteer"
	"civmap/geo"
)

//go:embed xiangshan
var files embed.FS

// CountyCode is the sample county's division code.
const CountyCode = "330225"

// File returns one bundled file by name (e.g. "townships.geojson").
func File(name string) ([]byte, error) { return files.ReadFile("xiangshan/" + name) }

// Batch reads the bundled dataset: the county (with its outline from neighbour_counties.geojson), 18 townships with
// polygons and seats, 408 village-level units at their points, the 49 OSM places, 3 boundary lines, the 16 象宁线 markers
// (from EPSG:4550, northing first), 408 demand units and 406 facilities.
func Batch() (*data.Batch, error) {
	var b data.Batch
	known := map[string]bool{}
	read := func(name string, opts ingest.Options) (*data.Batch, error) {
		raw, err := File(name)
		if err != nil {
			return nil, err
		}
		opts.KnownDivision = func(code string) bool { return known[code] }
		opts.KnownLine = func(id string) bool {
			for _, l := range b.Lines {
				if l.ID == id {
					return true
				}
			}
			return false
		}
		res, err := ingest.Read(bytes.NewReader(raw), opts)
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", name, err)
		}
		return &res.Batch, nil
	}

	divs, err := read("divisions.csv", ingest.Options{Kind: ingest.Divisions})
	if err != nil {
		return nil, err
	}
	index := map[string]*gazetteer.Division{}
	for i := range divs.Divisions {
		d := &divs.Divisions[i]
		index[d.Code] = d
		known[d.Code] = true
	}
	// Geometry: township polygons and seats, village points, the county outline.
	shapes := []string{"townships.geojson", "villages.synthetic.geojson", "neighbour_counties.geojson"}
	for _, name := range shapes {
		s, err := read(name, ingest.Options{Kind: ingest.Divisions})
		if err != nil {
			return nil, err
		}
		for _, sd := range s.Divisions {
			d, ok := index[sd.Code]
			if !ok {
				continue // a neighbouring county: not held as a division
			}
			d.Geometry = sd.Geometry
			if sd.Seat != nil {
				d.Seat = sd.Seat
			} else if pt, isPt := sd.Geometry.(orb.Point); isPt {
				d.Seat = &pt
			}
		}
	}
	// The county seat (丹城) is the "center" that DataV publishes with the outline, in GCJ-02.
	seat, err := countySeat()
	if err != nil {
		return nil, err
	}
	index[CountyCode].Seat = &seat
	b.Divisions = divs.Divisions

	for _, step := range []struct {
		name string
		kind ingest.Kind
	}{
		{"county_boundary_lines.geojson", ingest.Lines},
		{"xiangning_markers_registered.csv", ingest.Markers},
		{"osm_places.geojson", ingest.Places},
		{"villages.synthetic.geojson", ingest.Demand},
		{"facilities.synthetic.geojson", ingest.Facilities},
	} {
		part, err := read(step.name, ingest.Options{Kind: step.kind})
		if err != nil {
			return nil, err
		}
		b.Lines = append(b.Lines, part.Lines...)
		b.Markers = append(b.Markers, part.Markers...)
		b.Places = append(b.Places, part.Places...)
		b.Demand = append(b.Demand, part.Demand...)
		b.Facilities = append(b.Facilities, part.Facilities...)
	}
	return &b, nil
}

func countySeat() (orb.Point, error) {
	raw, err := File("county_outline.gcj02.json")
	if err != nil {
		return orb.Point{}, err
	}
	var fs []struct {
		Properties struct {
			Center [2]float64 `json:"center"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &fs); err != nil || len(fs) == 0 {
		return orb.Point{}, fmt.Errorf("sample county_outline.gcj02.json: no center: %v", err)
	}
	return geo.GCJ02ToWGS84(orb.Point(fs[0].Properties.Center)), nil
}

// Load writes the bundled dataset into st in one transaction.
func Load(ctx context.Context, st data.Store) (data.ImportStats, error) {
	b, err := Batch()
	if err != nil {
		return data.ImportStats{}, err
	}
	return st.Import(ctx, *b, edit.Meta{Actor: "system", Action: "import", Reason: "bundled sample"})
}
