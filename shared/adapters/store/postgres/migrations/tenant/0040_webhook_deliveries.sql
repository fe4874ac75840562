-- The webhook delivery ledger, in the tenant's own database: the claim on a delivery id commits
-- together with the task and the audit events it creates (one database, one transaction).
CREATE TABLE webhook_deliveries (
    id            bigserial PRIMARY KEY,
    provider      text NOT NULL,
    delivery_id   text NOT NULL,
    event         text,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    body          bytea NOT NULL,
    task_id       text,
    outcome       text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, delivery_id)
);
