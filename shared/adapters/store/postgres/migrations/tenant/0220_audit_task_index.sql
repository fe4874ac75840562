-- A task's audit events are read by task: its detail page and the reconciler (redrive counts,
-- and whether an approval decision was verified, once a minute for every task awaiting
-- approval). Without an index each of those scans the whole append-only log.
CREATE INDEX audit_events_task ON audit_events (task_id, kind);
