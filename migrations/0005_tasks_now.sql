-- The current state of each task in a compact table of its own: boards and the dashboard read it
-- without touching the history (whose current rows are scattered over the whole heap).

CREATE TABLE tasks_now (LIKE task_versions INCLUDING DEFAULTS);
ALTER TABLE tasks_now DROP COLUMN valid_to, DROP COLUMN ended_by, ADD PRIMARY KEY (task_id);
INSERT INTO tasks_now SELECT task_id, version, position, valid_from, event_type, title, category, source, status,
       lead_unit, co_units, acknowledged, deadline, effective_deadline, percent, milestones, feedback_every,
       feedback_since, assigned_at, pending_extension, completion_requested_at, completion_on_time, closed_at, urgings
  FROM task_versions WHERE valid_to IS NULL;
CREATE INDEX tasks_now_lead ON tasks_now (lead_unit);
CREATE INDEX tasks_now_co ON tasks_now USING gin (co_units);
CREATE INDEX tasks_now_status ON tasks_now (status);
CREATE INDEX tasks_now_resolution ON tasks_now ((source->>'resolution_id'));

DROP INDEX task_versions_current_lead;
DROP INDEX task_versions_current_co;
DROP INDEX task_versions_resolution;
