-- Trigger authorisation: SCM answers about who may push (cached, shared by every app instance),
-- when a refused author was last told why (one reply per author and window), and local_git's
-- own collaborator records (a bare repository has no permission model of its own).
CREATE TABLE scm_access_cache (
    provider    text NOT NULL,
    repository  text NOT NULL,
    subject     text NOT NULL,  -- 'user:<casefolded name>' or 'self' (the connection's account)
    can_write   boolean NOT NULL,
    role        text NOT NULL,
    checked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, repository, subject)
);

CREATE TABLE refusal_replies (
    provider    text NOT NULL,
    author      text NOT NULL,  -- casefolded
    replied_at  timestamptz NOT NULL,
    PRIMARY KEY (provider, author)
);

CREATE TABLE scm_collaborators (
    repository  text NOT NULL,
    username    text NOT NULL,  -- casefolded
    permission  text NOT NULL CHECK (permission IN ('read', 'write', 'admin')),
    PRIMARY KEY (repository, username)
);
