-- Approval decisions and identity links (issue: approvals that cannot be forged).
--
-- A decision exists only once it is recorded here: the tasks API (or an allowed
-- "/agent approve|reject" comment) inserts it before raising the orchestration's "approval"
-- event, which carries only the decision id; the orchestration verifies the row before anything
-- is pushed. One decision per task (the first wins). Append-only: the tenant role may only
-- SELECT and INSERT (*_events), and a trigger refuses changes for every role.
CREATE TABLE approval_events (
    id          uuid PRIMARY KEY,
    task_id     text NOT NULL UNIQUE REFERENCES tasks (id),
    decision    text NOT NULL CHECK (decision IN ('approve', 'reject')),
    via         text NOT NULL CHECK (via IN ('api', 'comment')),
    principal   text NOT NULL,
    object_id   text,
    roles       text[] NOT NULL DEFAULT '{}',
    linked      jsonb NOT NULL DEFAULT '[]'::jsonb,
    comment     text NOT NULL DEFAULT '',
    decided_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION approval_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'approval_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER approval_events_no_change
    BEFORE UPDATE OR DELETE ON approval_events
    FOR EACH ROW EXECUTE FUNCTION approval_events_append_only();
CREATE TRIGGER approval_events_no_truncate
    BEFORE TRUNCATE ON approval_events
    FOR EACH STATEMENT EXECUTE FUNCTION approval_events_append_only();

-- Who is who: an SCM user (as tasks record their requester, case-folded) linked to an Entra
-- object id, kept per tenant and managed by a TenantAdmin. "The requester cannot approve" is
-- decided on these links, never on names that merely look alike.
CREATE TABLE identity_links (
    provider    text NOT NULL,
    scm_user    text NOT NULL CHECK (scm_user = lower(scm_user)),
    object_id   text NOT NULL,
    linked_by   text NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, scm_user)
);
CREATE INDEX identity_links_object ON identity_links (object_id);
