-- Failed logins, shared by every web process, for throttling per account and per address.

CREATE TABLE login_failures (
    key  text NOT NULL,          -- 'user:<username>' or 'addr:<remote address>'
    at   timestamptz NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
