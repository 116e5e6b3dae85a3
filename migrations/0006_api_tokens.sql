-- Bearer tokens of the HTTP API: only a SHA-256 of each token is kept. Tokens are session state of the
-- web layer, not decisions, so they live here rather than in the event log.

CREATE TABLE api_tokens (
    token_sha256   text PRIMARY KEY,
    username       text NOT NULL,
    issued_at      timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    last_position  bigint NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_username ON api_tokens (username);
