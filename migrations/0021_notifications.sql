-- Notifications (issue 13): each unit's inbox derived from the log (and the scheduled deadline checks),
-- read marks kept apart (they survive a rebuild), the units' delivery settings (never in the event log:
-- the robot's secret is a secret) and the outbox of deliveries, one row per (notification, channel).

CREATE TABLE notifications (
    id          uuid PRIMARY KEY,       -- derived from what it notifies: inserting it twice is a no-op
    recipient   text NOT NULL,          -- a unit code, or 'office' (the office's inbox)
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    task_id     uuid,
    meeting_id  uuid,
    text        text NOT NULL,
    position    bigint,                 -- the event it derives from; NULL for the deadline checks
    enqueued    boolean NOT NULL DEFAULT false
);
CREATE INDEX notifications_inbox ON notifications (recipient, at DESC);
CREATE INDEX notifications_to_enqueue ON notifications (at) WHERE NOT enqueued;

CREATE TABLE notification_reads (
    notification_id  uuid PRIMARY KEY,
    username         text NOT NULL,
    read_at          timestamptz NOT NULL
);

CREATE TABLE notification_settings (
    unit            text PRIMARY KEY,
    webhook_url     text,
    webhook_secret  text,
    emails          text[] NOT NULL DEFAULT '{}',
    since           timestamptz NOT NULL,   -- notifications from this instant on are delivered
    updated_at      timestamptz NOT NULL,
    updated_by      text NOT NULL
);

CREATE TABLE notification_deliveries (
    notification_id  uuid NOT NULL,
    channel          text NOT NULL,          -- 'webhook' or 'email'
    target           text NOT NULL,          -- where it goes (the robot's address without its token, or the mailboxes)
    status           text NOT NULL DEFAULT 'pending',   -- pending · sending · delivered · failed
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    sending_since    timestamptz,
    delivered_at     timestamptz,
    last_error       text,
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending');
