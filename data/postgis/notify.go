package postgis

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/tiles"
)

var _ tiles.Notifier = (*Store)(nil)

// importBoundsLimit is the largest import whose change is told record by record (as in the embedded store); a larger
// one invalidates the touched layers whole (tiles.Change.All).
const importBoundsLimit = 10000

// tileState is the store's tile support: the subscribers of tiles.Notifier and the memo of tile queries.
type tileState struct {
	mu   sync.Mutex
	subs []func(tiles.Change)
	sql  sync.Map // layer list ("divisions,places") → the tile query (tiles.go)
}

// Subscribe registers f to be called after every committed write of this Store (CreatePlace, UpdatePlace, Import),
// synchronously, before the write returns, with the layers it touched and the lon/lat bounds of the old and new
// geometries; an import of more than 10,000 records reports its layers with All instead of bounds.
//
// Only this process's writes are reported: there is no LISTEN/NOTIFY. Writes made by another process (another civmap
// serve on the same database, `civmap import`, psql) do not reach this process's tile cache, and the cache has no TTL:
// its tiles stay until evicted by its byte budget or the process restarts. Clients and HTTP caches revalidate after
// Cache-Control's max-age, but they get this process's cached tile (same ETag). Run one writer per cache, or turn the
// cache off (negative CacheMB) when other processes write to the database.
func (s *Store) Subscribe(f func(tiles.Change)) {
	s.tiles.mu.Lock()
	s.tiles.subs = append(s.tiles.subs, f)
	s.tiles.mu.Unlock()
}

// notifyTiles tells the subscribers about a committed write. Concurrent writes may be told in another order than they
// committed: each change only removes tiles, so the order does not matter.
func (s *Store) notifyTiles(c tiles.Change) {
	if len(c.Layers) == 0 {
		return
	}
	s.tiles.mu.Lock()
	subs := slices.Clone(s.tiles.subs)
	s.tiles.mu.Unlock()
	for _, f := range subs {
		f(c)
	}
}

// placeChange is the change of a place write: the bound of its old geometry (nil: none) and of its new one.
func placeChange(old *orb.Bound, g orb.Geometry) tiles.Change {
	c := tiles.Change{Layers: []string{"places"}}
	if old != nil {
		c.Bounds = append(c.Bounds, *old)
	}
	if g != nil {
		c.Bounds = append(c.Bounds, g.Bound())
	}
	return c
}

// boxSQL selects the exact (double precision) bound of a geometry column as float8[4] {xmin, ymin, xmax, ymax}, NULL
// for a NULL or empty geometry. (&& and the GiST index use float4-rounded boxes; ST_XMin etc. read the coordinates.)
func boxSQL(col string) string {
	return `CASE WHEN ` + col + ` IS NULL OR ST_IsEmpty(` + col + `) THEN NULL ELSE ARRAY[ST_XMin(` + col + `), ST_YMin(` +
		col + `), ST_XMax(` + col + `), ST_YMax(` + col + `)] END`
}

// boxBound turns boxSQL's value into a bound (nil for NULL).
func boxBound(b []float64) *orb.Bound {
	if len(b) != 4 {
		return nil
	}
	return &orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
}

// importChange describes what importing b touches: the layers, and for a batch of at most importBoundsLimit records
// the bounds of each record's new geometry and of the stored one it replaces. The stored rows are read and locked (FOR
// UPDATE, in key order, table by table in import order) in the import's transaction, so the bounds are those of the
// versions the import replaces even when other writers are busy.
func importChange(ctx context.Context, tx pgx.Tx, b *data.Batch) (tiles.Change, error) {
	var c tiles.Change
	add := func(layer string, n int) {
		if n > 0 {
			c.Layers = append(c.Layers, layer)
		}
	}
	add("divisions", len(b.Divisions))
	add("places", len(b.Places))
	add("boundary_lines", len(b.Lines))
	add("markers", len(b.Markers))
	add("facilities", len(b.Facilities))
	add("demand", len(b.Demand))
	if b.Len() > importBoundsLimit {
		c.All = true
		return c, nil
	}
	bound := func(g orb.Geometry) {
		if g != nil {
			c.Bounds = append(c.Bounds, g.Bound())
		}
	}
	keys := func(n int, key func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = key(i)
		}
		return out
	}
	old := func(table, key string, cols []string, ks []string) error {
		if len(ks) == 0 {
			return nil
		}
		sel := make([]string, len(cols))
		for i, col := range cols {
			sel[i] = boxSQL(col)
		}
		rows, err := tx.Query(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM `+table+` WHERE `+key+` = ANY($1) ORDER BY `+
			key+` FOR UPDATE`, ks)
		if err != nil {
			return fmt.Errorf("postgis: import: stored bounds of %s: %w", table, err)
		}
		defer rows.Close()
		boxes := make([][]float64, len(cols))
		dst := make([]any, len(cols))
		for i := range boxes {
			dst[i] = &boxes[i]
		}
		for rows.Next() {
			if err := rows.Scan(dst...); err != nil {
				return fmt.Errorf("postgis: import: stored bounds of %s: %w", table, err)
			}
			for _, box := range boxes {
				if bb := boxBound(box); bb != nil {
					c.Bounds = append(c.Bounds, *bb)
				}
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgis: import: stored bounds of %s: %w", table, err)
		}
		return nil
	}
	geom := []string{"geom"}
	for _, d := range b.Divisions {
		bound(d.Geometry)
		if d.Seat != nil {
			bound(*d.Seat)
		}
	}
	if err := old("divisions", "code", []string{"geom", "seat"},
		keys(len(b.Divisions), func(i int) string { return b.Divisions[i].Code })); err != nil {
		return c, err
	}
	for _, l := range b.Lines {
		bound(l.Geometry)
	}
	if err := old("boundary_lines", "id", geom, keys(len(b.Lines), func(i int) string { return b.Lines[i].ID })); err != nil {
		return c, err
	}
	for _, m := range b.Markers {
		bound(m.Position)
	}
	if err := old("markers", "number", geom,
		keys(len(b.Markers), func(i int) string { return b.Markers[i].Number })); err != nil {
		return c, err
	}
	for _, p := range b.Places {
		bound(p.Geometry)
	}
	if err := old("places", "id", geom, keys(len(b.Places), func(i int) string { return b.Places[i].ID })); err != nil {
		return c, err
	}
	for _, f := range b.Facilities {
		bound(f.Location)
	}
	if err := old("facilities", "id", geom,
		keys(len(b.Facilities), func(i int) string { return b.Facilities[i].ID })); err != nil {
		return c, err
	}
	for _, d := range b.Demand {
		bound(d.Location)
	}
	if err := old("demand_units", "code", geom,
		keys(len(b.Demand), func(i int) string { return b.Demand[i].Code })); err != nil {
		return c, err
	}
	return c, nil
}

// tileID is a record's MVT feature id, tiles.FeatureID of its text key (at most 2^53−1, so it fits a bigint).
func tileID(key string) int64 { return int64(tiles.FeatureID(key)) }

// backfillBatch is how many rows one backfill statement updates.
const backfillBatch = 10000

// backfillTileIDs fills the tile_id columns (migration 00002) of rows that lack them: rows written before the
// migration or by an older binary. Writes of this version always set them, so this finds nothing after the first Open.
// Concurrent Opens compute the same ids, so racing backfills are harmless.
func (s *Store) backfillTileIDs(ctx context.Context) error {
	tables := []struct {
		table, key string
		label      bool // divisions: also label_tile_id
	}{
		{"divisions", "code", true}, {"places", "id", false}, {"boundary_lines", "id", false},
		{"markers", "number", false}, {"facilities", "id", false}, {"demand_units", "code", false},
	}
	for _, t := range tables {
		cond := `tile_id IS NULL`
		if t.label {
			cond += ` OR label_tile_id IS NULL`
		}
		for {
			rows, err := s.pool.Query(ctx, `SELECT `+t.key+` FROM `+t.table+` WHERE `+cond+` LIMIT $1`, backfillBatch)
			if err != nil {
				return fmt.Errorf("postgis: backfill tile ids of %s: %w", t.table, err)
			}
			ks, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("postgis: backfill tile ids of %s: %w", t.table, err)
			}
			if len(ks) == 0 {
				break
			}
			ids, labels := make([]int64, len(ks)), make([]int64, len(ks))
			for i, k := range ks {
				ids[i], labels[i] = tileID(k), tileID(tiles.LabelIDPrefix+k)
			}
			set := `tile_id = u.id`
			if t.label {
				set += `, label_tile_id = u.label_id`
			}
			if _, err := s.pool.Exec(ctx, `UPDATE `+t.table+` t SET `+set+`
				FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(key, id, label_id)
				WHERE t.`+t.key+` = u.key`, ks, ids, labels); err != nil {
				return fmt.Errorf("postgis: backfill tile ids of %s: %w", t.table, err)
			}
			if len(ks) < backfillBatch {
				break
			}
		}
	}
	return nil
}
