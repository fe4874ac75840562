-- Token buckets for per-tenant rate limits, refilled continuously at `p_rate` tokens per second up
-- to `p_burst`. One call takes `p_cost` tokens if there are enough and returns 0; otherwise it
-- takes nothing and returns the seconds until there will be (NULL when the rate is 0: never).
-- The bucket row stays locked until the caller's transaction ends, so concurrent callers queue
-- and a rolled-back caller gives its token back.
CREATE FUNCTION platform.take_token(
    p_tenant text, p_bucket text, p_rate double precision, p_burst double precision,
    p_cost double precision DEFAULT 1
) RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    v_tokens  double precision;
    v_updated timestamptz;
    v_now     timestamptz;
BEGIN
    SELECT tokens, updated_at INTO v_tokens, v_updated FROM platform.rate_buckets
     WHERE tenant = p_tenant AND bucket = p_bucket FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO platform.rate_buckets (tenant, bucket, tokens, updated_at)
        VALUES (p_tenant, p_bucket, p_burst, clock_timestamp())
        ON CONFLICT (tenant, bucket) DO NOTHING;
        SELECT tokens, updated_at INTO v_tokens, v_updated FROM platform.rate_buckets
         WHERE tenant = p_tenant AND bucket = p_bucket FOR UPDATE;
    END IF;
    -- Read the clock only once the row is ours: time spent waiting for the lock must not be
    -- counted twice.
    v_now := clock_timestamp();
    v_tokens := least(p_burst,
                      v_tokens + greatest(0, extract(epoch FROM v_now - v_updated)) * p_rate);
    IF v_tokens >= p_cost THEN
        UPDATE platform.rate_buckets SET tokens = v_tokens - p_cost, updated_at = v_now
         WHERE tenant = p_tenant AND bucket = p_bucket;
        RETURN 0;
    END IF;
    RETURN (p_cost - v_tokens) / nullif(p_rate, 0);
END;
$$;
