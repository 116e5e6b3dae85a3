-- A view that fails on an event stops loudly: the worker records where and why, /readyz shows it.

ALTER TABLE projection_tracking
    ADD COLUMN error          text,
    ADD COLUMN error_position bigint,
    ADD COLUMN error_at       timestamptz;
