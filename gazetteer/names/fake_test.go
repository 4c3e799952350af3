package names

import (
	"context"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
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

// fakeDocs is an in-memory edit.DocStore with the contract's version rules.
type fakeDocs struct {
	mu   sync.Mutex
	docs map[string]edit.Doc
	log  []edit.Meta
}

func newFakeDocs() *fakeDocs { return &fakeDocs{docs: map[string]edit.Doc{}} }

func (f *fakeDocs) Doc(_ context.Context, kind edit.Kind, id string) (edit.Doc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.docs[string(kind)+"\x00"+id]
	if !ok {
		return edit.Doc{}, apierr.ErrNotFound
	}
	return d, nil
}

func (f *fakeDocs) Docs(_ context.Context, kind edit.Kind, prefix string) ([]edit.Doc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []edit.Doc
	for _, d := range f.docs {
		if d.Kind == kind && strings.HasPrefix(d.ID, prefix) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b edit.Doc) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *fakeDocs) WriteDocs(_ context.Context, ws []edit.DocWrite, meta edit.Meta) ([]int64, error) {
	if err := edit.CheckDocWrites(ws); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	next := map[string]edit.Doc{}
	vs := make([]int64, len(ws))
	for i, w := range ws {
		key := string(w.Kind) + "\x00" + w.ID
		cur, ok := f.docs[key]
		switch {
		case w.ExpectVersion == 0 && ok:
			return nil, apierr.ErrConflict
		case w.ExpectVersion > 0 && !ok:
			return nil, apierr.ErrNotFound
		case w.ExpectVersion > 0 && cur.Version != w.ExpectVersion:
			return nil, apierr.ErrVersionMismatch
		}
		next[key] = edit.Doc{Kind: w.Kind, ID: w.ID, Version: cur.Version + 1, Body: w.Body}
		vs[i] = cur.Version + 1
	}
	for k, d := range next {
		f.docs[k] = d
	}
	f.log = append(f.log, meta)
	return vs, nil
}
