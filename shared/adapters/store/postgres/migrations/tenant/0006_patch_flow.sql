-- patch_flow: lineage and outcome on the task, and dead letters for permanent failures.
ALTER TABLE tasks
    ADD COLUMN lineage   jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN pr_url    text,
    ADD COLUMN approver  text;

CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    task_id     text NOT NULL REFERENCES tasks (id),
    step        text NOT NULL,
    error_code  text NOT NULL,
    message     text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
