-- How many tasks are in each status now: kept by the task_history view in the same transaction as
-- tasks_now, so the dashboard counts 100,000 tasks by reading eight rows instead of scanning them all.

CREATE TABLE task_status_counts (
    status  text PRIMARY KEY,
    n       bigint NOT NULL
);
INSERT INTO task_status_counts (status, n) SELECT status, count(*) FROM tasks_now GROUP BY status;

-- The report reads the states valid at the end of a period; those of tasks closed long before it are most
-- of the table and none of the answer. Open states and closed ones by closing instant, each indexed apart.
CREATE INDEX task_versions_open_valid ON task_versions USING gist (tstzrange(valid_from, valid_to, '[)'))
    WHERE closed_at IS NULL;
CREATE INDEX task_versions_closed_at ON task_versions (closed_at) WHERE closed_at IS NOT NULL;
