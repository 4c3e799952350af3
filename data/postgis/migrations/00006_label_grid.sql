-- The label grid (issue 13): places and facilities below their layer's FullZoom are thinned per grid cell, not by a
-- per-feature min zoom (tiles.RankRegion, tiles.GridRegion.Keep). The tile statement ranks each cell with
-- row_number() OVER (PARTITION BY cell ORDER BY class rank, tile_id) and reads a row's cell from integers computed in
-- Go at every write, so that both stores put a feature on a cell edge in the same cell:
--
--   grid_x, grid_y  tiles.Anchor of the geometry's bound (Web Mercator, 2^28 units per world side); a cell at zoom z
--                   is grid >> (28 − 4 − z). NULL for a place without geometry.
--   size_zoom       (places) tiles.SizeZoom: from that zoom the place spans a cell and is drawn whatever the density.
--                   NULL for a point (never).
--
-- min_zoom (00003, the old per-feature rule) is dropped. Open fills the new columns for rows that lack them.

-- +goose Up
ALTER TABLE places DROP COLUMN min_zoom, ADD COLUMN grid_x integer, ADD COLUMN grid_y integer,
    ADD COLUMN size_zoom smallint;
ALTER TABLE facilities DROP COLUMN min_zoom, ADD COLUMN grid_x integer, ADD COLUMN grid_y integer;
-- Open's backfill finds the rows without a grid anchor; once all are set the look-up is free.
CREATE INDEX places_grid_null_idx ON places (id) WHERE grid_x IS NULL AND geom IS NOT NULL;

-- +goose Down
DROP INDEX places_grid_null_idx;
ALTER TABLE facilities DROP COLUMN grid_x, DROP COLUMN grid_y, ADD COLUMN min_zoom smallint;
ALTER TABLE places DROP COLUMN grid_x, DROP COLUMN grid_y, DROP COLUMN size_zoom, ADD COLUMN min_zoom smallint;
-- 00003's min zooms are computed in Go: an older binary's Open fills the NULLs.
CREATE INDEX places_min_zoom_idx ON places (min_zoom);
