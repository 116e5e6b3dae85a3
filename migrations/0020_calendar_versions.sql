-- The working-day calendar as the office recorded it, every version with the instant it was recorded:
-- lights and days left as of an instant use the schedules known at that instant (issue 13).

CREATE TABLE calendar_versions (
    year        integer NOT NULL,
    position    bigint NOT NULL,
    valid_from  timestamptz NOT NULL,
    reference   text NOT NULL,
    holidays    date[] NOT NULL,
    workdays    date[] NOT NULL,
    PRIMARY KEY (year, position)
);
CREATE INDEX calendar_versions_valid_from ON calendar_versions (valid_from);
