-- API tokens (internal/auth, data/postgis/tokens.go). Only a salted hash of each token's secret is kept: hash is
-- SHA-256(salt ‖ secret), so the table reveals no token. id is the token's public part, by which a request's token is
-- found; names are unique, revoked tokens included (they stay for the audit log). revoked_at is NULL while valid.

-- +goose Up
CREATE TABLE api_tokens (
    id         text COLLATE "C" PRIMARY KEY,
    name       text COLLATE "C" NOT NULL UNIQUE,
    role       text COLLATE "C" NOT NULL,
    salt       bytea NOT NULL,
    hash       bytea NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

-- +goose Down
DROP TABLE api_tokens;
