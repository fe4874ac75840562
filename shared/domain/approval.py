"""Approval decisions and the identity links they are judged on.

A decision is a record first and an event second: it is stored (with who decided, their roles
and linked identities) before the orchestration hears of it, and the orchestration acts only on
a stored decision. ``IdentityLink`` ties an SCM user, as tasks record their requester, to an
Entra object id, so that "the requester cannot approve" compares people, not look-alike names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.domain.errors import InvalidInput
from shared.domain.task import Provider, TaskStatus

Decision = Literal["approve", "reject"]
#: An SCM identity: (provider, user as the SCM names it, case-folded).
ScmIdentity = tuple[str, str]
#: The audit event the orchestration records, for the task and with the ``decision_id``, once it
#: received and verified a decision's ``approval`` event: from then on the decision is delivered
#: (the reconciler raises again only a decision without it).
VERIFIED = "approval.verified"
_MAX_USER = 200


def scm_identity(provider: str, scm_user: str) -> ScmIdentity:
    """The normalised identity, or ``InvalidInput`` (unknown provider, empty or odd user)."""
    if provider not in {p.value for p in Provider}:
        raise InvalidInput(f"unknown SCM provider {provider!r}", code="invalid-provider")
    user = scm_user.strip() if isinstance(scm_user, str) else ""
    if not user or len(user) > _MAX_USER or not user.isprintable():
        raise InvalidInput(
            f"the SCM user must be 1 to {_MAX_USER} printable characters", code="invalid-scm-user"
        )
    return provider, user.casefold()


def object_id(value: Any) -> str:
    """An Entra object id (a GUID) in canonical form, or ``InvalidInput``."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise InvalidInput("the Entra object id must be a GUID", code="invalid-object-id") from exc


@dataclass(frozen=True)
class IdentityLink:
    provider: str
    scm_user: str
    object_id: str
    linked_by: str = ""
    linked_at: datetime | None = None

    @property
    def identity(self) -> ScmIdentity:
        return self.provider, self.scm_user

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "scm_user": self.scm_user,
            "object_id": self.object_id,
            "linked_by": self.linked_by,
            "linked_at": self.linked_at.isoformat() if self.linked_at else None,
        }


@dataclass(frozen=True)
class TaskUnderDecision:
    """What deciding needs of a task: its requester and whether it waits for a decision."""

    id: str
    provider: str
    requester: str
    status: TaskStatus

    @property
    def requester_identity(self) -> ScmIdentity:
        return self.provider, self.requester.casefold()


@dataclass(frozen=True)
class ApprovalDecision:
    """A recorded decision. ``principal`` is the Entra user name (``via="api"``) or the SCM user
    (``via="comment"``); ``linked`` are the decider's SCM identities when it was recorded."""

    id: str
    task_id: str
    decision: Decision
    via: Literal["api", "comment"]
    principal: str
    object_id: str | None
    roles: tuple[str, ...]
    linked: tuple[ScmIdentity, ...]
    comment: str
    decided_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The decision as the flow, the PR body and the lineage show it."""
        return {
            "decision_id": self.id,
            "decision": self.decision,
            "approver": self.principal,
            "via": self.via,
            "roles": list(self.roles),
            "linked": [list(i) for i in self.linked],
            "comment": self.comment,
            "decided_at": self.decided_at.isoformat(),
        }
