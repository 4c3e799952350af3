-- Documents: the records of kinds without a table of their own (layout plans, inspection rounds and findings,
-- screening findings, the reading dictionary; edit.DocStore). body is the domain package's JSON kept byte for byte
-- (json, not jsonb); versions and audit entries are the shared tables'.

-- +goose Up
CREATE TABLE docs (
    kind       text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    body       json NOT NULL,
    PRIMARY KEY (kind, id)
);

-- +goose Down
DROP TABLE docs;
