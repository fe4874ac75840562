-- local_git: the SCM records a bare git repository cannot hold (issues, pull requests and their
-- comments), kept in the tenant's schema so that PostgreSQL isolates them like all tenant data.
-- Numbers count per repository and kind, as on a forge.
CREATE TABLE scm_counters (
    repository  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('issue', 'pull_request')),
    last_number integer NOT NULL,
    PRIMARY KEY (repository, kind)
);

CREATE TABLE scm_issues (
    repository  text NOT NULL,
    number      integer NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    author      text NOT NULL,
    labels      text[] NOT NULL DEFAULT '{}',
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository, number)
);

CREATE TABLE scm_pull_requests (
    repository     text NOT NULL,
    number         integer NOT NULL,
    source_branch  text NOT NULL,
    target_branch  text NOT NULL,
    head_sha       text NOT NULL,
    title          text NOT NULL,
    body           text NOT NULL DEFAULT '',
    author         text NOT NULL,
    labels         text[] NOT NULL DEFAULT '{}',
    draft          boolean NOT NULL DEFAULT false,
    state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'merged')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository, number)
);
-- At most one open pull request per source branch: what makes opening one idempotent.
CREATE UNIQUE INDEX scm_pull_requests_open_branch
    ON scm_pull_requests (repository, source_branch) WHERE state = 'open';

CREATE TABLE scm_comments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository     text NOT NULL,
    target_kind    text NOT NULL CHECK (target_kind IN ('issue', 'pull_request')),
    target_number  integer NOT NULL,
    author         text NOT NULL,
    body           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scm_comments_target ON scm_comments (repository, target_kind, target_number, id);
