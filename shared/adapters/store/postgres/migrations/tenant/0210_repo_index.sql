-- The kept per-repository retrieval index (shared/services/repo_index) and the pushes it follows.
--
-- repo_pushes: one row per commit that a push to a connected repository's default branch
-- brought (bounded per push by intake), with its message and changed paths; they feed the
-- retrieval's change history. Azure DevOps lists no paths (paths_listed false): the index update
-- fills in the paths it found changed. repo_indexes: per repository, the commit indexed and the
-- newest commit wanted (push ids order them: a stale update never overwrites a newer one).
-- repo_index_files: per file its blob sha (what an update compares to the tree listing) and its
-- text, so that ranking never re-reads an unchanged file from the SCM.
CREATE TABLE repo_pushes (
    id            bigserial PRIMARY KEY,
    provider      text NOT NULL,
    repository    text NOT NULL,
    delivery_id   text NOT NULL,
    after_sha     text NOT NULL,
    commit_id     text NOT NULL,
    message       text NOT NULL,
    paths         text[] NOT NULL DEFAULT '{}',
    paths_listed  boolean NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repo_pushes_repository ON repo_pushes (provider, repository, id);

CREATE TABLE repo_indexes (
    provider        text NOT NULL,
    repository      text NOT NULL,
    indexed_commit  text,
    indexed_push    bigint NOT NULL DEFAULT 0,
    wanted_commit   text,
    wanted_push     bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, repository)
);

CREATE TABLE repo_index_files (
    provider    text NOT NULL,
    repository  text NOT NULL,
    path        text NOT NULL,
    blob_sha    text NOT NULL,
    body        text NOT NULL,
    PRIMARY KEY (provider, repository, path)
);
