-- Retention: a delivery's raw body may be purged (the row stays, so duplicates stay duplicates).
ALTER TABLE platform.webhook_deliveries
    ALTER COLUMN body DROP NOT NULL,
    ADD COLUMN body_purged_at timestamptz;
CREATE INDEX webhook_deliveries_retention ON platform.webhook_deliveries (tenant, received_at)
    WHERE body IS NOT NULL;
