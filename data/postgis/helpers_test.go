package postgis_test

import (
	"context"
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/data/postgis/pgtest"
	"civmap/gazetteer"
)

// openFresh opens a store on a new database, closed when the test ends.
func openFresh(t testing.TB, opts postgis.Options) (*postgis.Store, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	s, err := postgis.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

// xiangshan is the county, its 18 township polygons and 408 (synthetic) village points from testdata.
type xiangshan struct {
	townships []gazetteer.Division
	villages  []gazetteer.Division
	bound     orb.Bound
}

func (x *xiangshan) batch() data.Batch {
	county := gazetteer.Division{Code: "330225", Name: "象山县", Level: gazetteer.LevelCounty, Kind: "county",
		ParentCode: "330200"}
	ds := append([]gazetteer.Division{county}, x.townships...)
	return data.Batch{Divisions: append(ds, x.villages...)}
}

var townshipKinds = map[string]string{"街道": "subdistrict", "镇": "town", "乡": "township"}

func loadXiangshan(t testing.TB) *xiangshan {
	t.Helper()
	read := func(name string) *geojson.FeatureCollection {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return fc
	}
	x := &xiangshan{}
	for i, f := range read("townships.geojson").Features {
		d := gazetteer.Division{Code: f.Properties.MustString("adcode"), Name: f.Properties.MustString("name"),
			Level: gazetteer.LevelTownship, Kind: townshipKinds[f.Properties.MustString("kind")], ParentCode: "330225",
			Geometry: f.Geometry}
		if s, ok := f.Properties["seat"].([]any); ok && len(s) == 2 {
			d.Seat = &orb.Point{s[0].(float64), s[1].(float64)}
		}
		x.townships = append(x.townships, d)
		if i == 0 {
			x.bound = f.Geometry.Bound()
		} else {
			x.bound = x.bound.Union(f.Geometry.Bound())
		}
	}
	for _, f := range read("villages.synthetic.geojson").Features {
		x.villages = append(x.villages, gazetteer.Division{Code: f.Properties.MustString("code"),
			Name: f.Properties.MustString("name"), Level: gazetteer.LevelVillage, Kind: f.Properties.MustString("level"),
			ParentCode: f.Properties.MustString("township_code"), Geometry: f.Geometry})
	}
	return x
}
