package inspection

import (
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

const sampleDir = "../../data/sample/xiangshan/"

// sampleFeatures reads a bundled GeoJSON file of the sample (read directly: gazetteer packages do not import data/*).
func sampleFeatures(t testing.TB, name string) []*geojson.Feature {
	t.Helper()
	b, err := os.ReadFile(sampleDir + name)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	return fc.Features
}

func sampleCounty(t testing.TB, code string) orb.Geometry {
	for _, f := range sampleFeatures(t, "neighbour_counties.geojson") {
		if f.Properties.MustString("adcode", "") == code {
			return f.Geometry
		}
	}
	t.Fatalf("no county %s", code)
	return nil
}

func sampleLine(t testing.TB, name string) orb.LineString {
	for _, f := range sampleFeatures(t, "county_boundary_lines.geojson") {
		if f.Properties.MustString("name", "") == name {
			return f.Geometry.(orb.LineString)
		}
	}
	t.Fatalf("no line %s", name)
	return nil
}
