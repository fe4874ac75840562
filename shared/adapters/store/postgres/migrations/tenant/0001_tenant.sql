-- Per-tenant template, applied inside the tenant's schema (search_path is set to it).
CREATE TABLE tasks (
    id            text PRIMARY KEY,
    provider      text NOT NULL,
    repository    text NOT NULL,
    source_kind   text NOT NULL,
    source_id     text NOT NULL,
    command       text NOT NULL,
    instruction   text NOT NULL DEFAULT '',
    requester     text NOT NULL,
    delivery_id   text,
    status        text NOT NULL DEFAULT 'queued',
    step          text,
    result        jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_source ON tasks (provider, repository, source_kind, source_id);
CREATE INDEX tasks_status ON tasks (status);

-- Append-only, hash-chained audit log. Each row stores the hash of the previous one.
CREATE TABLE audit_events (
    seq         bigint PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    occurred_at timestamptz NOT NULL,
    actor       text NOT NULL,
    kind        text NOT NULL,
    task_id     text,
    data        jsonb NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL UNIQUE
);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_no_change
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The chain's head, kept by a SECURITY DEFINER trigger so that a deleted tail is detected too.
-- Tables named internal_* are read-only for the tenant role.
CREATE TABLE internal_audit_head (
    id    integer PRIMARY KEY CHECK (id = 1),
    seq   bigint NOT NULL,
    hash  text NOT NULL
);

CREATE FUNCTION audit_events_track_head() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO %I.internal_audit_head (id, seq, hash) VALUES (1, $1, $2) '
        'ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash',
        TG_TABLE_SCHEMA) USING NEW.seq, NEW.hash;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_events_head
    AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_track_head();
