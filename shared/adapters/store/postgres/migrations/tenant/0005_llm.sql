-- Lineage of every LLM call attempt, with its transcript sealed under the tenant's key
-- (an envelope from the KeyProvider). Append-only: the tenant role may only SELECT and INSERT
-- (*_events), and a trigger refuses changes for every role.
CREATE TABLE llm_call_events (
    id               uuid PRIMARY KEY,
    occurred_at      timestamptz NOT NULL,
    task_id          text,
    attempt          integer NOT NULL CHECK (attempt >= 1),
    provider         text NOT NULL,
    endpoint         text NOT NULL,
    model            text NOT NULL,
    model_used       text,
    model_version    text,
    template_name    text NOT NULL,
    template_version integer NOT NULL,
    template_hash    text NOT NULL,
    parameters       jsonb NOT NULL,
    input_tokens     integer NOT NULL DEFAULT 0,
    output_tokens    integer NOT NULL DEFAULT 0,
    cost_usd         numeric(14, 6) NOT NULL DEFAULT 0,
    latency_ms       integer NOT NULL DEFAULT 0,
    outcome          text NOT NULL,
    error            text,
    redactions       integer NOT NULL DEFAULT 0,
    scripted         boolean NOT NULL DEFAULT false,
    transcript       bytea
);
CREATE INDEX llm_call_events_task ON llm_call_events (task_id, occurred_at);

CREATE FUNCTION llm_call_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'llm_call_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER llm_call_events_no_change
    BEFORE UPDATE OR DELETE ON llm_call_events
    FOR EACH ROW EXECUTE FUNCTION llm_call_events_append_only();
CREATE TRIGGER llm_call_events_no_truncate
    BEFORE TRUNCATE ON llm_call_events
    FOR EACH STATEMENT EXECUTE FUNCTION llm_call_events_append_only();
