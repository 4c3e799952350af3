package sample

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"civmap/gazetteer"
	"civmap/gazetteer/inspection"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// neighbourStore is what StoreNeighbours needs.
type neighbourStore interface {
	Division(ctx context.Context, code string) (gazetteer.Division, error)
	edit.DocStore
}

// StoreNeighbours keeps the polygons of a GeoJSON FeatureCollection (properties adcode or code, and name) whose
// division is not held (宁海县 beside 象山县) as inspection.KindNeighbour documents, for the boundary inspections'
// gap/overlap check, in one batch. It returns how many it wrote (an unchanged polygon counts, and is a no-op).
func StoreNeighbours(ctx context.Context, st neighbourStore, raw []byte, meta edit.Meta) (int, error) {
	var fc struct {
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		return 0, fmt.Errorf("neighbour polygons: %w", err)
	}
	var ws []edit.DocWrite
	for i, f := range fc.Features {
		code, _ := f.Properties["adcode"].(string)
		if code == "" {
			code, _ = f.Properties["code"].(string)
		}
		name, _ := f.Properties["name"].(string)
		if code == "" {
			return 0, fmt.Errorf("feature %d: no adcode or code", i)
		}
		if _, err := st.Division(ctx, code); err == nil {
			continue // held as a division: its own polygon is used
		} else if !errors.Is(err, apierr.ErrNotFound) {
			return 0, err
		}
		np := inspection.NeighbourPolygon{Code: code, Name: name, Geometry: f.Geometry}
		if err := inspection.ValidateNeighbour(np); err != nil {
			return 0, fmt.Errorf("feature %d (%s): %w", i, code, err)
		}
		b, err := json.Marshal(np)
		if err != nil {
			return 0, err
		}
		ws = append(ws, edit.DocWrite{Kind: inspection.KindNeighbour, ID: code, Body: b, ExpectVersion: edit.AnyVersion})
	}
	if len(ws) == 0 {
		return 0, nil
	}
	if _, err := st.WriteDocs(ctx, ws, meta); err != nil {
		return 0, err
	}
	return len(ws), nil
}

// LoadNeighbours stores the bundled neighbour_counties.geojson's counties that are not held (宁海县, 奉化区, 鄞州区)
// as neighbour polygons, so that the sample's boundary inspections can run the gap/overlap check.
func LoadNeighbours(ctx context.Context, st neighbourStore) (int, error) {
	raw, err := File("neighbour_counties.geojson")
	if err != nil {
		return 0, err
	}
	return StoreNeighbours(ctx, st, raw, edit.Meta{Actor: "system", Action: "import", Reason: "bundled sample"})
}
