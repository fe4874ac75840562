-- local_git: inline review comments on pull requests (`/agent review`), anchored to a line of the
-- new version of a file. Summaries are ordinary comments (scm_comments). A re-run of a review
-- edits or deletes the agent's own rows here instead of adding more.
CREATE TABLE scm_review_comments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository   text NOT NULL,
    pull_number  integer NOT NULL,
    path         text NOT NULL,
    line         integer NOT NULL CHECK (line > 0),
    commit_sha   text NOT NULL,  -- the head the comment was written against
    author       text NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scm_review_comments_pull ON scm_review_comments (repository, pull_number, id);
