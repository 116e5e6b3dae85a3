-- Every state a task has been in, with the instant it began and ended: boards now and as of any instant.

CREATE TABLE task_versions (
    task_id                  uuid NOT NULL,
    version                  integer NOT NULL,
    position                 bigint NOT NULL,
    valid_from               timestamptz NOT NULL,
    valid_to                 timestamptz,             -- NULL: the current state
    event_type               text NOT NULL,
    title                    text NOT NULL,
    category                 text NOT NULL,
    source                   jsonb NOT NULL,
    status                   text NOT NULL,
    lead_unit                text NOT NULL,
    co_units                 text[] NOT NULL,
    acknowledged             text[] NOT NULL,
    deadline                 date NOT NULL,
    effective_deadline       date NOT NULL,
    percent                  integer NOT NULL,
    milestones               jsonb NOT NULL,
    feedback_every           text,
    feedback_since           timestamptz NOT NULL,
    assigned_at              timestamptz NOT NULL,
    pending_extension        integer,
    completion_requested_at  timestamptz,
    completion_on_time       boolean,
    closed_at                timestamptz,
    urgings                  integer NOT NULL,
    PRIMARY KEY (task_id, version)
);
CREATE INDEX task_versions_current ON task_versions (task_id) WHERE valid_to IS NULL;
CREATE INDEX task_versions_lead ON task_versions (lead_unit, valid_from);
CREATE INDEX task_versions_co ON task_versions USING gin (co_units);
CREATE INDEX task_versions_interval ON task_versions (valid_from, valid_to);
CREATE INDEX task_versions_position ON task_versions (position);
