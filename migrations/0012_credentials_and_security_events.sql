-- Secrets of the accounts, outside the event log: the current password hash, whether it must be changed,
-- the TOTP secret and the hashes of unused recovery codes. One row per account, updated in place: a
-- secret that is replaced is gone (the log records only that it was set, changed or reset, and by whom).

CREATE TABLE user_credentials (
    username          text PRIMARY KEY,
    password_hash     text NOT NULL,
    must_change       boolean NOT NULL DEFAULT false,
    changed_at        timestamptz NOT NULL,
    totp_secret       text,                 -- base32; NULL until an enrolment is confirmed
    totp_pending      text,                 -- a secret being enrolled, not yet confirmed with a code
    totp_last_step    bigint NOT NULL DEFAULT 0,  -- the newest 30-second step used: a code works once
    recovery_hashes   text[] NOT NULL DEFAULT '{}'  -- argon2 hashes of the unused recovery codes
);

-- The security audit trail (安全审计): logins, failures, lockouts, tokens. Append-only: the trigger
-- refuses UPDATE and DELETE (and TRUNCATE) for every role but a superuser who drops it first.
CREATE TABLE security_events (
    position   bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,       -- login_succeeded, login_failed, second_factor_failed, locked_out, ...
    username   text,
    address    text,
    detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX security_events_username ON security_events (username, position);

CREATE FUNCTION security_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'security_events is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER security_events_no_update BEFORE UPDATE OR DELETE ON security_events
    FOR EACH ROW EXECUTE FUNCTION security_events_append_only();
CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events
    FOR EACH STATEMENT EXECUTE FUNCTION security_events_append_only();
