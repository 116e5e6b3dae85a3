-- The dashboard counts tasks by unit and status (全局看板), which a table of totals cannot answer: it reads
-- tasks_now, so the totals table of 0030 is no longer kept.
DROP TABLE IF EXISTS task_status_counts;
