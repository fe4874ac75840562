-- Control plane: tenants, SCM connections, webhook deliveries, quotas, rate buckets.
CREATE TABLE platform.tenants (
    slug          text PRIMARY KEY,
    display_name  text NOT NULL,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    schema_name   text NOT NULL UNIQUE,
    role_name     text NOT NULL UNIQUE,
    database_name text,
    settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform.scm_connections (
    id            bigserial PRIMARY KEY,
    tenant        text NOT NULL REFERENCES platform.tenants (slug) ON DELETE CASCADE,
    provider      text NOT NULL CHECK (provider IN ('github', 'gitlab', 'azure-devops', 'local_git')),
    name          text NOT NULL DEFAULT 'default',
    base_url      text,
    settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- names of entries in the SecretStore, never the secrets themselves
    token_secret  text,
    webhook_secrets text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, provider, name)
);

CREATE TABLE platform.webhook_deliveries (
    id            bigserial PRIMARY KEY,
    tenant        text NOT NULL REFERENCES platform.tenants (slug) ON DELETE CASCADE,
    provider      text NOT NULL,
    delivery_id   text NOT NULL,
    event         text,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    body          bytea NOT NULL,
    task_id       text,
    outcome       text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, provider, delivery_id)
);

CREATE TABLE platform.quotas (
    tenant                 text PRIMARY KEY REFERENCES platform.tenants (slug) ON DELETE CASCADE,
    webhook_rate_per_sec   double precision NOT NULL DEFAULT 10,
    webhook_burst          integer NOT NULL DEFAULT 50,
    max_concurrent_tasks   integer NOT NULL DEFAULT 5,
    daily_token_budget     bigint NOT NULL DEFAULT 2000000,
    daily_cost_budget_usd  numeric(12, 4) NOT NULL DEFAULT 50
);

CREATE TABLE platform.rate_buckets (
    tenant      text NOT NULL REFERENCES platform.tenants (slug) ON DELETE CASCADE,
    bucket      text NOT NULL,
    tokens      double precision NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant, bucket)
);
