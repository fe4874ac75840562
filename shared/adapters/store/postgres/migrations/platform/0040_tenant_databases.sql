-- Each tenant's data lives in a database of its own: the platform records when provisioning of
-- that database finished (NULL while it is still in progress, so a rerun resumes it), and the
-- webhook delivery ledger moves into the tenant databases (tenant migration 0040).
ALTER TABLE platform.tenants ADD COLUMN provisioned_at timestamptz;
UPDATE platform.tenants SET provisioned_at = created_at;
DROP TABLE platform.webhook_deliveries;
