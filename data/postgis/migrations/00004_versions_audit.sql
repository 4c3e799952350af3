-- Versions of every record kind and the append-only audit log (issue 6). A version's record is the record's API
-- document (json, kept byte for byte as the store wrote it; null for a delete); hash is its content hash
-- (data.ContentHash, "" for a delete). Records and place history written before this migration get their versions at
-- the next Open (backfillVersions in versions.go, done once: see store_upgrades), because the documents are built by
-- the same Go code as every later version's.

-- +goose Up
CREATE TABLE versions (
    kind    text COLLATE "C" NOT NULL,
    id      text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    meta    jsonb NOT NULL,
    record  json,
    hash    text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (kind, id, version)
);

CREATE TABLE audit (
    seq         bigserial PRIMARY KEY,
    time        timestamptz NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL DEFAULT '',
    action      text NOT NULL,
    outcome     text NOT NULL,
    status      integer NOT NULL DEFAULT 0,
    kind        text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    version     bigint NOT NULL DEFAULT 0,
    request_id  text NOT NULL DEFAULT '',
    client_addr text NOT NULL DEFAULT '',
    before_hash text NOT NULL DEFAULT '',
    after_hash  text NOT NULL DEFAULT '',
    message     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_actor_idx ON audit (actor, seq);
CREATE INDEX audit_target_idx ON audit (target_id, seq);
CREATE INDEX audit_time_idx ON audit (time, seq);

-- The audit log is append-only: no UPDATE, DELETE or TRUNCATE, whoever asks.
-- +goose StatementBegin
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- One-time data upgrades that Open runs in Go, by name.
CREATE TABLE store_upgrades (
    name text PRIMARY KEY,
    done timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE store_upgrades;
DROP TRIGGER audit_no_truncate ON audit;
DROP TRIGGER audit_no_change ON audit;
DROP FUNCTION audit_append_only();
DROP TABLE audit;
DROP TABLE versions;
