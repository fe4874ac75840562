"""Who may ask the agent for work: a person's write access to a repository, as the SCM says.

The composite-identity rule: the agent never does more on a repository than the person who
triggered it could do themselves, so a command counts only from someone who could push there.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How long an SCM's answer may be reused: a revoked collaborator is refused within this time.
ACCESS_TTL_SECONDS = 300


@dataclass(frozen=True)
class ScmUser:
    """A person as a webhook named them: ``name`` (GitHub login, GitLab username, Azure DevOps
    unique name) and, where the event carried it, the SCM's own ``id`` (saves a lookup)."""

    name: str
    id: str = ""


@dataclass(frozen=True)
class RepositoryAccess:
    """Whether ``user`` may push to the repository; ``role`` is the SCM's own word for why
    (``write``, ``maintain``, ``developer``, ``group:[Fabrikam]\\Contributors``, ``none`` ...)."""

    user: str
    can_write: bool
    role: str

    def to_dict(self) -> dict[str, object]:
        return {"user": self.user, "can_write": self.can_write, "role": self.role}
