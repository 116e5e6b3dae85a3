-- The command log: every command's id and answer, written in the same transaction as its events, so
-- that a command whose acknowledgement was lost is found again instead of being applied twice.
-- Not part of the event log: it is the runner's bookkeeping, not a decision.

CREATE TABLE command_log (
    username     text NOT NULL,
    key          text NOT NULL,          -- the client's Idempotency-Key, or one the server made
    fingerprint  text NOT NULL,          -- sha256 of the command and its arguments
    result       text NOT NULL,          -- the command's answer, JSON
    at           timestamptz NOT NULL,
    PRIMARY KEY (username, key)
);
