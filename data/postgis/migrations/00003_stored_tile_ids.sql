-- Stored tile ids and per-feature min zoom (issue 13).
--
-- Every record's MVT feature id is allocated by the store when the record is first written and never changes: a
-- per-layer counter in tile_id_counters (a row, not a sequence, so that an allocation rolls back with its transaction
-- and a history of writes gives the same ids as the embedded store's counters). Ids count up from 1; within one import
-- the new rows take them in key order (COLLATE "C"); a division takes two, the odd one for its polygon and the next for
-- its label point (tile_id + 1, tiles.LabelID). This migration renumbers existing rows the same way, table by table,
-- as the embedded store's schema 2 upgrade does. The FNV-derived ids of 00002 collided ("7" and "007", a hash equal to
-- another record's number) and are dropped.
--
-- min_zoom (places, facilities: the layers that are thinned) is tiles.PlaceMinZoom / tiles.FacilityMinZoom of the row,
-- computed in Go at every write; Open fills it for rows that lack it (written before this migration).

-- +goose Up
CREATE TABLE tile_id_counters (
    layer   text PRIMARY KEY,
    last_id bigint NOT NULL CHECK (last_id >= 0)
);

UPDATE divisions t SET tile_id = 2 * r.n - 1
    FROM (SELECT code, row_number() OVER (ORDER BY code COLLATE "C") AS n FROM divisions) r WHERE t.code = r.code;
UPDATE places t SET tile_id = r.n
    FROM (SELECT id, row_number() OVER (ORDER BY id COLLATE "C") AS n FROM places) r WHERE t.id = r.id;
UPDATE boundary_lines t SET tile_id = r.n
    FROM (SELECT id, row_number() OVER (ORDER BY id COLLATE "C") AS n FROM boundary_lines) r WHERE t.id = r.id;
UPDATE markers t SET tile_id = r.n
    FROM (SELECT number, row_number() OVER (ORDER BY number COLLATE "C") AS n FROM markers) r WHERE t.number = r.number;
UPDATE facilities t SET tile_id = r.n
    FROM (SELECT id, row_number() OVER (ORDER BY id COLLATE "C") AS n FROM facilities) r WHERE t.id = r.id;
UPDATE demand_units t SET tile_id = r.n
    FROM (SELECT code, row_number() OVER (ORDER BY code COLLATE "C") AS n FROM demand_units) r WHERE t.code = r.code;

INSERT INTO tile_id_counters (layer, last_id)
    SELECT 'divisions', 2 * count(*) FROM divisions
    UNION ALL SELECT 'places', count(*) FROM places
    UNION ALL SELECT 'boundary_lines', count(*) FROM boundary_lines
    UNION ALL SELECT 'markers', count(*) FROM markers
    UNION ALL SELECT 'facilities', count(*) FROM facilities
    UNION ALL SELECT 'demand', count(*) FROM demand_units;

DROP INDEX places_tile_id_null_idx;
DROP INDEX facilities_tile_id_null_idx;
ALTER TABLE divisions DROP COLUMN label_tile_id, ALTER COLUMN tile_id SET NOT NULL, ADD UNIQUE (tile_id);
ALTER TABLE places ALTER COLUMN tile_id SET NOT NULL, ADD COLUMN min_zoom smallint;
-- An index, not a constraint: a bulk import drops and rebuilds the secondary indexes of places.
CREATE UNIQUE INDEX places_tile_id_idx ON places (tile_id);
ALTER TABLE boundary_lines ALTER COLUMN tile_id SET NOT NULL, ADD UNIQUE (tile_id);
ALTER TABLE markers ALTER COLUMN tile_id SET NOT NULL, ADD UNIQUE (tile_id);
ALTER TABLE facilities ALTER COLUMN tile_id SET NOT NULL, ADD UNIQUE (tile_id), ADD COLUMN min_zoom smallint;
ALTER TABLE demand_units ALTER COLUMN tile_id SET NOT NULL, ADD UNIQUE (tile_id);

-- Low-zoom tiles read only the places they draw; Open's backfill finds the rows without min_zoom.
CREATE INDEX places_min_zoom_idx ON places (min_zoom);

-- +goose Down
DROP INDEX places_min_zoom_idx;
ALTER TABLE demand_units DROP CONSTRAINT demand_units_tile_id_key, ALTER COLUMN tile_id DROP NOT NULL;
ALTER TABLE facilities DROP COLUMN min_zoom, DROP CONSTRAINT facilities_tile_id_key, ALTER COLUMN tile_id DROP NOT NULL;
ALTER TABLE markers DROP CONSTRAINT markers_tile_id_key, ALTER COLUMN tile_id DROP NOT NULL;
ALTER TABLE boundary_lines DROP CONSTRAINT boundary_lines_tile_id_key, ALTER COLUMN tile_id DROP NOT NULL;
DROP INDEX places_tile_id_idx;
ALTER TABLE places DROP COLUMN min_zoom, ALTER COLUMN tile_id DROP NOT NULL;
ALTER TABLE divisions DROP CONSTRAINT divisions_tile_id_key, ALTER COLUMN tile_id DROP NOT NULL,
    ADD COLUMN label_tile_id bigint;
-- 00002's ids are computed in Go: an older binary's Open fills the NULLs.
UPDATE divisions SET tile_id = NULL;
UPDATE places SET tile_id = NULL;
UPDATE boundary_lines SET tile_id = NULL;
UPDATE markers SET tile_id = NULL;
UPDATE facilities SET tile_id = NULL;
UPDATE demand_units SET tile_id = NULL;
CREATE INDEX places_tile_id_null_idx ON places (id) WHERE tile_id IS NULL;
CREATE INDEX facilities_tile_id_null_idx ON facilities (id) WHERE tile_id IS NULL;
DROP TABLE tile_id_counters;
