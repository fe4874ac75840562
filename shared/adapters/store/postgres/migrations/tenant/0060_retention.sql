-- Retention: a delivery's raw body may be purged (the row stays, so duplicates stay duplicates).
ALTER TABLE webhook_deliveries
    ALTER COLUMN body DROP NOT NULL,
    ADD COLUMN body_purged_at timestamptz;
CREATE INDEX webhook_deliveries_retention ON webhook_deliveries (received_at)
    WHERE body IS NOT NULL;
-- Retention may drop a sealed LLM transcript and nothing else: an UPDATE that sets transcript
-- to NULL and leaves every other column as it was passes; any other change is still refused.
CREATE OR REPLACE FUNCTION llm_call_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.transcript IS NULL
       AND to_jsonb(NEW) - 'transcript' = to_jsonb(OLD) - 'transcript' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'llm_call_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
