package main

import (
	"context"
	"fmt"

	"github.com/gorilla/mux"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer/names"
	"civmap/gazetteer/names/search"
	"civmap/tiles"
)

// newSearch builds the name-search index from st (divisions, places, facilities) and keeps it current: the store's
// change notifications (tiles.Notifier, after each commit and before the write returns; on PostGIS also other
// processes' writes by LISTEN/NOTIFY) mark the changed kinds, which the next search reloads. A Change carries layers
// and bounds, not record keys, so the kind is re-read whole (the county's few thousand records take milliseconds).
func newSearch(ctx context.Context, st data.Store) (*search.Live, error) {
	rom, err := names.Default()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	live, err := search.NewLive(ctx, rom, map[search.Kind]search.Loader{
		search.KindDivision: search.DivisionLoader(st),
		search.KindPlace:    search.PlaceLoader(st),
		search.KindFacility: facilityLoader(st),
	})
	if err != nil {
		return nil, err
	}
	if n, ok := st.(tiles.Notifier); ok {
		n.Subscribe(func(c tiles.Change) {
			for _, l := range c.Layers {
				switch l {
				case "divisions":
					live.Invalidate(search.KindDivision)
				case "places":
					live.Invalidate(search.KindPlace)
				case "facilities":
					live.Invalidate(search.KindFacility)
				}
			}
		})
	}
	return live, nil
}

// searchRoutes registers GET /api/search (search.Routes) over st.
func searchRoutes(r *mux.Router, st data.Store) error {
	live, err := newSearch(context.Background(), st)
	if err != nil {
		return err
	}
	search.Routes(r, live)
	return nil
}

// facilityLoader reads every facility of st as search docs: name, type as category, status (closed is retired), the
// township code, at its location.
func facilityLoader(st facilities.Store) search.Loader {
	return func(ctx context.Context) ([]search.Doc, error) {
		pg, err := st.Facilities(ctx, facilities.FacilityQuery{})
		if err != nil {
			return nil, err
		}
		docs := make([]search.Doc, len(pg.Items))
		for i, f := range pg.Items {
			loc := f.Location
			docs[i] = search.Doc{Kind: search.KindFacility, ID: f.ID, Names: []search.Name{{Text: f.Name}},
				Rank: search.RankFacility, Category: f.Type, Status: f.Status, Retired: f.Status == facilities.StatusClosed,
				Divisions: []string{f.TownshipCode}, Location: &loc}
		}
		return docs, nil
	}
}
