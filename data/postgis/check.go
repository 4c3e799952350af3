package postgis

import (
	"context"
	"fmt"

	"civmap/data"
	"civmap/internal/edit"
)

// CheckIndexes verifies what PostGIS holds beside the records and its constraints do not enforce
// (data.IndexChecker): no tile id above its layer's counter (ids are NOT NULL and UNIQUE by the schema), and every
// place and facility with a geometry has its label-grid cell (grid_x, grid_y; places also size_zoom).
func (s *Store) CheckIndexes(ctx context.Context, report func(data.Fault)) (int, error) {
	checks := []struct {
		layer, sql, problem string
	}{
		{"divisions", `SELECT code, tile_id FROM divisions WHERE tile_id + 1 > (SELECT last_id FROM tile_id_counters WHERE layer = 'divisions')`, "tile id %d above the layer's counter"},
		{"places", `SELECT id, tile_id FROM places WHERE tile_id > (SELECT last_id FROM tile_id_counters WHERE layer = 'places')`, "tile id %d above the layer's counter"},
		{"boundary_lines", `SELECT id, tile_id FROM boundary_lines WHERE tile_id > (SELECT last_id FROM tile_id_counters WHERE layer = 'boundary_lines')`, "tile id %d above the layer's counter"},
		{"markers", `SELECT number, tile_id FROM markers WHERE tile_id > (SELECT last_id FROM tile_id_counters WHERE layer = 'markers')`, "tile id %d above the layer's counter"},
		{"facilities", `SELECT id, tile_id FROM facilities WHERE tile_id > (SELECT last_id FROM tile_id_counters WHERE layer = 'facilities')`, "tile id %d above the layer's counter"},
		{"demand", `SELECT code, tile_id FROM demand_units WHERE tile_id > (SELECT last_id FROM tile_id_counters WHERE layer = 'demand')`, "tile id %d above the layer's counter"},
		{"places", `SELECT id, tile_id FROM places WHERE geom IS NOT NULL AND (grid_x IS NULL OR grid_y IS NULL)`, "tile id %d: no label-grid cell"},
		{"facilities", `SELECT id, tile_id FROM facilities WHERE geom IS NOT NULL AND (grid_x IS NULL OR grid_y IS NULL)`, "tile id %d: no label-grid cell"},
	}
	for _, c := range checks {
		rows, err := s.pool.Query(ctx, c.sql)
		if err != nil {
			return 0, fmt.Errorf("postgis: check %s: %w", c.layer, err)
		}
		for rows.Next() {
			var id string
			var tid int64
			if err := rows.Scan(&id, &tid); err != nil {
				rows.Close()
				return 0, err
			}
			report(data.Fault{Kind: edit.Kind(c.layer), ID: id, Problem: fmt.Sprintf(c.problem, tid)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("postgis: check %s: %w", c.layer, err)
		}
	}
	var n int
	err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM divisions) + (SELECT count(*) FROM places) +
		(SELECT count(*) FROM boundary_lines) + (SELECT count(*) FROM markers) + (SELECT count(*) FROM facilities) +
		(SELECT count(*) FROM demand_units)`).Scan(&n)
	return n, err
}

var _ data.IndexChecker = (*Store)(nil)
