package search

import (
	"context"

	"github.com/paulmach/orb"

	"civmap/gazetteer"
)

// DivisionDoc is the Doc of a division: its name, rank by level, category = its kind (subdistrict, town, village, …),
// status "current", Divisions = its own code, located at its seat, else its point, else the centre of its bound.
func DivisionDoc(d gazetteer.Division) Doc {
	rank := RankVillage
	switch d.Level {
	case gazetteer.LevelCounty:
		rank = RankCounty
	case gazetteer.LevelTownship:
		rank = RankTownship
	}
	loc := d.Seat
	if loc == nil {
		loc = pointOf(d.Geometry)
	}
	return Doc{Kind: KindDivision, ID: d.Code, Names: []Name{{Text: d.Name}}, Rank: rank, Category: d.Kind,
		Status: gazetteer.StatusCurrent, Divisions: []string{d.Code}, Location: loc}
}

// PlaceDoc is the Doc of a place: standard name, short name, aliases and former names; its own pinyin; category,
// status (abolished is Retired) and division codes; located at its point or the centre of its bound.
func PlaceDoc(p gazetteer.Place) Doc {
	ns := []Name{{Text: p.Name}}
	if p.ShortName != "" && p.ShortName != p.Name {
		ns = append(ns, Name{Text: p.ShortName, Field: FieldShortName})
	}
	for _, a := range p.Aliases {
		ns = append(ns, Name{Text: a, Field: FieldAlias})
	}
	for _, f := range p.FormerNames {
		ns = append(ns, Name{Text: f.Name, Field: FieldFormer})
	}
	return Doc{Kind: KindPlace, ID: p.ID, Names: ns, Pinyin: p.Pinyin, Rank: RankPlace, Category: p.Category,
		Status: p.Status, Retired: p.Status == gazetteer.StatusAbolished, Divisions: p.DivisionCodes,
		Location: pointOf(p.Geometry)}
}

func pointOf(g orb.Geometry) *orb.Point {
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return &g
	default:
		b := g.Bound()
		if b.IsEmpty() && b.Min == (orb.Point{}) {
			return nil
		}
		c := b.Center()
		return &c
	}
}

// DivisionLoader reads every division of st.
func DivisionLoader(st gazetteer.Store) Loader {
	return func(ctx context.Context) ([]Doc, error) {
		ds, err := st.Divisions(ctx, gazetteer.DivisionQuery{})
		if err != nil {
			return nil, err
		}
		docs := make([]Doc, len(ds))
		for i, d := range ds {
			docs[i] = DivisionDoc(d)
		}
		return docs, nil
	}
}

// PlaceLoader reads the published and abolished places of st (drafts and submissions are staff-only and not searched).
func PlaceLoader(st gazetteer.Store) Loader {
	return func(ctx context.Context) ([]Doc, error) {
		pg, err := st.Places(ctx, gazetteer.PlaceQuery{Statuses: []string{gazetteer.StatusCurrent,
			gazetteer.StatusHistorical, gazetteer.StatusAbolished}})
		if err != nil {
			return nil, err
		}
		docs := make([]Doc, len(pg.Items))
		for i, p := range pg.Items {
			docs[i] = PlaceDoc(p)
		}
		return docs, nil
	}
}
