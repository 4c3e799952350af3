package inspection

import (
	"bytes"
	"civmap/internal/edit/edittest"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"

	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// fakeStore is the sample's lines, 象宁线 markers and county polygon, with an in-memory edit.DocStore.
type fakeStore struct {
	lines   []gazetteer.BoundaryLine
	markers []gazetteer.Marker
	divs    map[string]gazetteer.Division
	*memDocs
}

// memDocs names the in-memory DocStore so that embedding it promotes its Docs method instead of a field of that name.
type memDocs = edittest.Docs

func newFakeStore(t testing.TB) *fakeStore {
	st := &fakeStore{divs: map[string]gazetteer.Division{}, memDocs: edittest.NewDocs()}
	for _, f := range sampleFeatures(t, "county_boundary_lines.geojson") {
		name := f.Properties.MustString("name", "")
		st.lines = append(st.lines, gazetteer.BoundaryLine{ID: name, Name: name, LeftCode: f.Properties.MustString("left_adcode", ""),
			RightCode: f.Properties.MustString("right_adcode", ""), RightName: f.Properties.MustString("right_name", ""), Geometry: f.Geometry})
	}
	sort.Slice(st.lines, func(i, j int) bool { return st.lines[i].ID < st.lines[j].ID })
	st.divs["330225"] = gazetteer.Division{Code: "330225", Name: "象山县", Level: gazetteer.LevelCounty, Kind: "county", Geometry: sampleCounty(t, "330225")}
	st.markers = sampleMarkers(t)
	return st
}

// sampleMarkers reads the register CSV as the ingest does (EPSG:4550, northing first).
func sampleMarkers(t testing.TB) []gazetteer.Marker {
	b, err := os.ReadFile(sampleDir + "xiangning_markers_registered.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []gazetteer.Marker
	for _, r := range recs[1:] {
		n, _ := strconv.ParseFloat(r[4], 64)
		e, _ := strconv.ParseFloat(r[5], 64)
		y, _ := strconv.Atoi(r[7])
		p, err := geo.ToLonLat(geo.EPSG4550, e, n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, gazetteer.Marker{Number: r[0], LineID: "象宁线", Type: r[1], PairLetter: r[2], Material: r[3],
			Registered: gazetteer.RegisteredPosition{CRS: r[6], AxisOrder: "north,east", First: n, Second: e}, RegisteredYear: y, Position: p})
	}
	return out
}

func (s *fakeStore) BoundaryLines(ctx context.Context) ([]gazetteer.BoundaryLine, error) {
	return s.lines, nil
}
func (s *fakeStore) BoundaryLine(ctx context.Context, id string) (gazetteer.BoundaryLine, error) {
	for _, l := range s.lines {
		if l.ID == id {
			return l, nil
		}
	}
	return gazetteer.BoundaryLine{}, fmt.Errorf("boundary line %q: %w", id, apierr.ErrNotFound)
}
func (s *fakeStore) Markers(ctx context.Context, lineID string) ([]gazetteer.Marker, error) {
	if _, err := s.BoundaryLine(ctx, lineID); err != nil {
		return nil, err
	}
	var out []gazetteer.Marker
	for _, m := range s.markers {
		if m.LineID == lineID {
			out = append(out, m)
		}
	}
	return out, nil
}
func (s *fakeStore) Division(ctx context.Context, code string) (gazetteer.Division, error) {
	if d, ok := s.divs[code]; ok {
		return d, nil
	}
	return gazetteer.Division{}, apierr.ErrNotFound
}

// inspector is a context signed in with the inspector role.
func inspector() context.Context {
	return edit.WithPrincipal(context.Background(), edit.Principal{Name: "联检员", Role: edit.RoleInspector})
}
