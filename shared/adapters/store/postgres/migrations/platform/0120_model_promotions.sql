-- Model governance: every promotion step of a registered model's alias (proposed, approved,
-- refused, rolled back), global (tenant NULL) or per tenant. Append-only: the record an approval
-- is checked against (the proposer cannot approve) and the audit trail model cards show.
CREATE TABLE platform.model_promotions (
    id           bigserial PRIMARY KEY,
    model        text NOT NULL,
    version      integer NOT NULL CHECK (version > 0),
    alias        text NOT NULL CHECK (alias IN ('champion', 'challenger')),
    tenant       text REFERENCES platform.tenants (slug) ON DELETE CASCADE,
    action       text NOT NULL CHECK (action IN ('proposed', 'approved', 'refused', 'rolled-back')),
    actor        text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    gate         jsonb NOT NULL DEFAULT '{}',
    previous     integer,
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX model_promotions_model ON platform.model_promotions (model, version, id);

CREATE FUNCTION platform.model_promotions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'platform.model_promotions is append-only';
END $$;
CREATE TRIGGER model_promotions_append_only BEFORE UPDATE OR DELETE
    ON platform.model_promotions FOR EACH ROW EXECUTE FUNCTION platform.model_promotions_append_only();
