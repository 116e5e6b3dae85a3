-- As-of lookups by interval: a range index over each state's [valid_from, valid_to), and the log
-- position of the event that ended the state, so that "as of T, at log position N" is exact.

ALTER TABLE task_versions ADD COLUMN ended_by bigint;
UPDATE task_versions AS t SET ended_by = n.position
  FROM task_versions AS n WHERE n.task_id = t.task_id AND n.version = t.version + 1;
CREATE INDEX task_versions_valid ON task_versions USING gist (tstzrange(valid_from, valid_to, '[)'));
CREATE INDEX task_versions_ended_by ON task_versions (ended_by) WHERE ended_by IS NOT NULL;
DROP INDEX task_versions_interval;

-- The report counts events of a type within a period.
CREATE INDEX audit_events_type_at ON audit_events (type, at);

-- Boards read the current states of one unit's tasks.
CREATE INDEX task_versions_current_lead ON task_versions (lead_unit) WHERE valid_to IS NULL;
CREATE INDEX task_versions_current_co ON task_versions USING gin (co_units) WHERE valid_to IS NULL;
