-- LLM hub: circuit breakers shared by every instance, and per-tenant daily usage against budgets.

-- One row per provider endpoint ("<provider> <base URL>"), updated under a row lock.
CREATE TABLE platform.llm_circuits (
    endpoint          text PRIMARY KEY,
    state             text NOT NULL DEFAULT 'closed'
                      CHECK (state IN ('closed', 'open', 'half_open')),
    failures          integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_started_at timestamptz,
    opened_at         timestamptz,
    probe_until       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One row per LLM call: a reservation (estimated tokens and cost) until the call ends, then the
-- actual usage. Budgets (platform.quotas) are checked against the sum of a tenant's UTC day.
CREATE TABLE platform.llm_usage (
    id             uuid PRIMARY KEY,
    tenant         text NOT NULL REFERENCES platform.tenants (slug) ON DELETE CASCADE,
    day            date NOT NULL,
    task_id        text,
    provider       text NOT NULL,
    model          text NOT NULL,
    state          text NOT NULL CHECK (state IN ('reserved', 'settled')),
    input_tokens   bigint NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens  bigint NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    tokens         bigint NOT NULL CHECK (tokens >= 0),
    cost_usd       numeric(14, 6) NOT NULL CHECK (cost_usd >= 0),
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    settled_at     timestamptz
);
CREATE INDEX llm_usage_tenant_day ON platform.llm_usage (tenant, day);
CREATE INDEX llm_usage_tenant_task ON platform.llm_usage (tenant, task_id);
