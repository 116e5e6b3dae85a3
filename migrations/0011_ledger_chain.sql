-- The hash chain over the event log (tamper evidence) and its signed checkpoints. Kept by the
-- projection worker (projections/chain.py); never rebuilt by `coordination rebuild`, because a chain
-- recomputed from a tampered log would hide the tampering. The signing key is never stored here.

CREATE TABLE ledger_chain (
    position            bigint PRIMARY KEY,
    previous_position   bigint NOT NULL,
    originator_id       uuid NOT NULL,
    originator_version  bigint NOT NULL,
    algorithm           text NOT NULL,
    hash                text NOT NULL
);
CREATE INDEX ledger_chain_originator ON ledger_chain (originator_id, originator_version);

CREATE TABLE ledger_checkpoints (
    position    bigint PRIMARY KEY,
    hash        text NOT NULL,
    algorithm   text NOT NULL,
    signed_at   text NOT NULL,  -- text: the signature covers these exact characters
    key_id      text NOT NULL,
    public_key  text NOT NULL,  -- base64 of the 32 raw Ed25519 bytes, published
    signature   text NOT NULL   -- base64
);
