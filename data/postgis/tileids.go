package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/tiles"
)

// Tile ids (the MVT feature ids) are allocated here when a record is first written (migration 00003): each layer's
// counter row in tile_id_counters is advanced in the writing transaction, so the ids roll back with it and follow the
// same history as the embedded store's counters. A division takes two ids (polygon, label point: tile_id + 1).

// tileIDTarget names where an import's new rows get their tile ids: the layer (its counter), the table and its key.
type tileIDTarget struct {
	layer, table, key string
}

// tileIDStep is the number of ids one record of layer takes.
func tileIDStep(layer string) int64 {
	if layer == "divisions" {
		return 2
	}
	return 1
}

// assignTileIDs sets tile_id in the import table tmp for the rows whose key is not yet in the target table, in key
// order, from the layer's counter; rows that exist keep their stored id (the upsert does not touch tile_id).
func assignTileIDs(ctx context.Context, tx pgx.Tx, tmp string, t tileIDTarget) error {
	if t.layer == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `
		WITH fresh AS MATERIALIZED (
			SELECT i.`+t.key+` AS k, row_number() OVER (ORDER BY i.`+t.key+` COLLATE "C") AS n
			FROM `+tmp+` i WHERE NOT EXISTS (SELECT 1 FROM `+t.table+` x WHERE x.`+t.key+` = i.`+t.key+`)),
		c AS (
			UPDATE tile_id_counters SET last_id = last_id + $2 * (SELECT count(*) FROM fresh)
			WHERE layer = $1 RETURNING last_id - $2 * (SELECT count(*) FROM fresh) AS base)
		UPDATE `+tmp+` i SET tile_id = c.base + (f.n - 1) * $2 + 1 FROM fresh f, c WHERE i.`+t.key+` = f.k`,
		t.layer, tileIDStep(t.layer))
	if err != nil {
		return fmt.Errorf("tile ids: %w", err)
	}
	return nil
}

// nextTileID allocates one record's tile id in layer (single-record writes: CreatePlace).
func nextTileID(ctx context.Context, tx pgx.Tx, layer string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `UPDATE tile_id_counters SET last_id = last_id + $2 WHERE layer = $1
		RETURNING last_id - $2 + 1`, layer, tileIDStep(layer)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("tile id: %w", err)
	}
	return id, nil
}

// gridCols are the label-grid columns of a row with geometry g (migration 00006): grid_x and grid_y (tiles.Anchor of
// its bound) and size_zoom (tiles.SizeZoom; NULL for a point, which is never big); all NULL without a geometry.
func gridCols(g orb.Geometry) (x, y, size any) {
	if g == nil {
		return nil, nil, nil
	}
	return gridOfBound(g.Bound())
}

func gridOfBound(b orb.Bound) (x, y, size any) {
	ax, ay := tiles.Anchor(b)
	if z := tiles.SizeZoom(b); z < tiles.NeverBig {
		return ax, ay, int16(z)
	}
	return ax, ay, nil
}

// placeGridArgs are gridCols of a place, as three statement arguments.
func placeGridArgs(p *gazetteer.Place) []any {
	x, y, size := gridCols(p.Geometry)
	return []any{x, y, size}
}

// backfillBatch is how many rows one backfill statement updates.
const backfillBatch = 10000

// backfillGrid fills the label-grid columns (migration 00006) of rows that lack them: rows written before the
// migration. Writes of this version always set them, so this finds nothing after the first Open; racing Opens compute
// the same values.
func (s *Store) backfillGrid(ctx context.Context) error {
	type row struct {
		key  string
		geom []float64 // bound: xmin, ymin, xmax, ymax
	}
	for _, t := range []struct{ table, update string }{
		{"places", `UPDATE places t SET grid_x = u.x, grid_y = u.y, size_zoom = u.z
			FROM unnest($1::text[], $2::integer[], $3::integer[], $4::smallint[]) AS u(key, x, y, z) WHERE t.id = u.key`},
		{"facilities", `UPDATE facilities t SET grid_x = u.x, grid_y = u.y
			FROM unnest($1::text[], $2::integer[], $3::integer[]) AS u(key, x, y) WHERE t.id = u.key`},
	} {
		for {
			n := 0
			// A one-off upgrade step: not bound by Options.StatementTimeout, which is meant for requests.
			err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', '0', true)`); err != nil {
					return err
				}
				// An empty geometry has no bound (and is never drawn): it keeps NULLs.
				rows, err := tx.Query(ctx, `SELECT id, `+boxSQL("geom")+` FROM `+t.table+`
					WHERE grid_x IS NULL AND geom IS NOT NULL AND NOT ST_IsEmpty(geom) LIMIT $1`, backfillBatch)
				if err != nil {
					return err
				}
				rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
					var x row
					err := r.Scan(&x.key, &x.geom)
					return x, err
				})
				if err != nil || len(rs) == 0 {
					return err
				}
				n = len(rs)
				keys, xs, ys, zs := make([]string, n), make([]int32, n), make([]int32, n), make([]*int16, n)
				for i, r := range rs {
					b := boundOf(r.geom)
					keys[i] = r.key
					xs[i], ys[i] = tiles.Anchor(b)
					if z := tiles.SizeZoom(b); z < tiles.NeverBig {
						z16 := int16(z)
						zs[i] = &z16
					}
				}
				args := []any{keys, xs, ys}
				if t.table == "places" {
					args = append(args, zs)
				}
				_, err = tx.Exec(ctx, t.update, args...)
				return err
			})
			if err != nil {
				return fmt.Errorf("postgis: backfill label grid of %s: %w", t.table, err)
			}
			if n < backfillBatch {
				break
			}
		}
	}
	return nil
}

// boundOf is the bound boxSQL scanned (empty for a NULL geometry).
func boundOf(b []float64) orb.Bound {
	if len(b) != 4 {
		return orb.Bound{}
	}
	return orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
}
