-- Read side, first views: where each projection has got to, and the audit index of every event.

CREATE TABLE projection_tracking (
    name        text PRIMARY KEY,
    position    bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per event of the log, in the domain's words (API.md, Audit).
CREATE TABLE audit_events (
    position        bigint PRIMARY KEY,
    at              timestamptz NOT NULL,
    type            text NOT NULL,
    aggregate_type  text NOT NULL,
    aggregate_id    uuid NOT NULL,
    version         integer NOT NULL,
    actor_username  text,
    actor_unit      text,
    units           text[] NOT NULL DEFAULT '{}',
    data            jsonb NOT NULL
);
CREATE INDEX audit_events_aggregate ON audit_events (aggregate_id, position);
CREATE INDEX audit_events_type ON audit_events (type, position);
CREATE INDEX audit_events_units ON audit_events USING gin (units);

-- The units a task concerns (lead and co-units, as now), so that every task event can be found by unit.
CREATE TABLE audit_task_units (
    task_id  uuid PRIMARY KEY,
    units    text[] NOT NULL
);
