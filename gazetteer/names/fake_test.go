package names

import (
	"context"
	"encoding/csv"
	"os"
	"testing"

	"civmap/gazetteer"
)

// sampleDivisions reads the sample's 427 divisions (data/sample/xiangshan/divisions.csv).
func sampleDivisions(t testing.TB) []gazetteer.Division {
	t.Helper()
	f, err := os.Open("../../data/sample/xiangshan/divisions.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []gazetteer.Division
	for _, r := range rows[1:] {
		lvl := gazetteer.LevelVillage
		switch len(r[0]) {
		case 6:
			lvl = gazetteer.LevelCounty
		case 9:
			lvl = gazetteer.LevelTownship
		}
		out = append(out, gazetteer.Division{Code: r[0], Name: r[1], Level: lvl, Kind: r[2], ParentCode: r[3]})
	}
	return out
}

// fakeRecords is an in-memory Records.
type fakeRecords struct {
	divs   []gazetteer.Division
	places []gazetteer.Place
}

func (f *fakeRecords) Divisions(_ context.Context, q gazetteer.DivisionQuery) ([]gazetteer.Division, error) {
	var out []gazetteer.Division
	for _, d := range f.divs {
		if (q.Level == "" || d.Level == q.Level) && (q.Parent == "" || d.ParentCode == q.Parent) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeRecords) Places(_ context.Context, q gazetteer.PlaceQuery) (gazetteer.PlacePage, error) {
	var out []gazetteer.Place
	for _, p := range f.places {
		if p.Status == gazetteer.StatusCurrent || p.Status == gazetteer.StatusHistorical {
			out = append(out, p)
		}
	}
	return gazetteer.PlacePage{Items: out, NumberMatched: len(out)}, nil
}
