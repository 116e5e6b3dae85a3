-- Meetings as they stood at any instant (as_of on the meeting register): every state with the instant
-- it began and ended, like task_versions. The registers view is replayed from the log to fill it.

CREATE TABLE meeting_versions (LIKE meetings INCLUDING DEFAULTS);
ALTER TABLE meeting_versions
    ADD COLUMN version    integer NOT NULL,
    ADD COLUMN valid_from timestamptz NOT NULL,
    ADD COLUMN valid_to   timestamptz,
    ADD PRIMARY KEY (meeting_id, version);
CREATE INDEX meeting_versions_valid ON meeting_versions USING gist (tstzrange(valid_from, valid_to, '[)'));

TRUNCATE meetings, resolutions;
DELETE FROM projection_tracking WHERE name = 'registers';
