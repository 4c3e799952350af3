-- Vector tiles (tiles.MVTSource, data/postgis/tiles.go): every record that is drawn gets its MVT feature id as a column,
-- tiles.FeatureID of its text key (the key itself when it is a decimal number up to 2^53−1, else FNV-1a 64 masked to
-- 53 bits). PostgreSQL has no cheap FNV-1a, so the store computes the ids in Go: it fills them on every insert and
-- upsert, and Open backfills rows whose ids are NULL (rows written before this migration, or by an older binary).
-- The columns are therefore nullable; ST_AsMVT writes a feature without an id for a NULL one, which only a row written
-- by an older binary after the last Open can have.

-- +goose Up
-- divisions: tile_id = FeatureID(code) for the polygon, label_tile_id = FeatureID('label:' || code) for the label point.
ALTER TABLE divisions ADD COLUMN tile_id bigint, ADD COLUMN label_tile_id bigint;
ALTER TABLE places ADD COLUMN tile_id bigint;
ALTER TABLE boundary_lines ADD COLUMN tile_id bigint;
ALTER TABLE markers ADD COLUMN tile_id bigint;
ALTER TABLE facilities ADD COLUMN tile_id bigint;
ALTER TABLE demand_units ADD COLUMN tile_id bigint;

-- The backfill at Open looks for NULL ids; on the large tables a partial index keeps that look-up free once all are set.
CREATE INDEX places_tile_id_null_idx ON places (id) WHERE tile_id IS NULL;
CREATE INDEX facilities_tile_id_null_idx ON facilities (id) WHERE tile_id IS NULL;

-- The label points of the divisions layer are found by their seat.
CREATE INDEX divisions_seat_idx ON divisions USING gist (seat);

-- +goose Down
DROP INDEX divisions_seat_idx;
DROP INDEX facilities_tile_id_null_idx;
DROP INDEX places_tile_id_null_idx;
ALTER TABLE demand_units DROP COLUMN tile_id;
ALTER TABLE facilities DROP COLUMN tile_id;
ALTER TABLE markers DROP COLUMN tile_id;
ALTER TABLE boundary_lines DROP COLUMN tile_id;
ALTER TABLE places DROP COLUMN tile_id;
ALTER TABLE divisions DROP COLUMN label_tile_id, DROP COLUMN tile_id;
