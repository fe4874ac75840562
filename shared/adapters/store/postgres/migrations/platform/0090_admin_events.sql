-- Platform-level changes made through the admin API or CLI (tenants created, disabled, enabled,
-- deprovisioned; quotas and budgets changed), with the principal who made them. A tenant's own
-- chain records its changes too, but a deprovisioned tenant's chain is gone: this one is not.
CREATE TABLE platform.admin_events (
    id           bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor        text NOT NULL,
    kind         text NOT NULL,
    tenant       text NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX admin_events_tenant ON platform.admin_events (tenant, occurred_at);

CREATE FUNCTION platform.admin_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER admin_events_no_change
    BEFORE UPDATE OR DELETE ON platform.admin_events
    FOR EACH ROW EXECUTE FUNCTION platform.admin_events_append_only();
