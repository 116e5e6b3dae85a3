-- Registers: meetings with their minutes, and the resolutions they adopted (会议台账, 议定事项台账).

CREATE TABLE meetings (
    meeting_id      uuid PRIMARY KEY,
    kind            text NOT NULL,
    title           text NOT NULL,
    date            date NOT NULL,
    location        text NOT NULL,
    chair           text NOT NULL,
    status          text NOT NULL,
    topics          uuid[] NOT NULL,
    attendance      jsonb,
    minutes         jsonb,
    issued_at       timestamptz,
    corrections     jsonb NOT NULL DEFAULT '[]',
    position        bigint NOT NULL
);
CREATE INDEX meetings_date ON meetings (date);

CREATE TABLE resolutions (
    resolution_id   uuid PRIMARY KEY,
    meeting_id      uuid NOT NULL,
    item            integer NOT NULL,
    title           text NOT NULL,
    text            text NOT NULL,
    category        text NOT NULL,
    minutes_number  text NOT NULL,
    adopted_at      timestamptz NOT NULL,
    position        bigint NOT NULL
);
CREATE INDEX resolutions_meeting ON resolutions (meeting_id, item);
CREATE INDEX resolutions_category ON resolutions (category);

CREATE INDEX task_versions_resolution ON task_versions ((source->>'resolution_id')) WHERE valid_to IS NULL;
