"""The patch flow's first step: may the person who asked make the agent work on the repository?

Runs before any repository read or LLM call, so the webhook acknowledgement never waits on the
SCM. A command counts only when (in order):

1. the tenant's lists allow its author (``denied_authors``, ``allowed_authors``);
2. the author is not the connection's own account (its comments are never commands, with no
   configuration; marked comments were already ignored at intake);
3. the SCM says the author may push (the composite-identity rule: the agent does nothing on a
   repository that its requester could not), asked at most every ``ACCESS_TTL_SECONDS`` per
   tenant, repository and person; the answer is shared by every app instance through the
   tenant's schema.

A refused command gets an audit event (``command.refused``) and one reply on its source, at
most one per author and ``refusal_reply_minutes`` per tenant (``refuse``), so a flood of
refused commands cannot make the agent flood the discussion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from shared.domain.access import ACCESS_TTL_SECONDS, RepositoryAccess, ScmUser
from shared.domain.errors import DomainError
from shared.domain.task import Provider, SourceKind
from shared.policies.triggers import TriggerRules
from shared.services.patch_flow import messages
from shared.services.patch_flow.deps import PatchFlowDeps

log = logging.getLogger(__name__)
#: The cache's subject for the connection's own account; its ``role`` holds the account name.
OWN_ACCOUNT = "self"


def authorise(deps: PatchFlowDeps, task: dict[str, Any]) -> dict[str, Any]:
    """``{"authorised": True, "role": ...}``, or ``{"authorised": False, "reason": ...,
    "replied": bool}`` after the refusal was audited (and answered, within the window)."""
    tenant, requester = task["tenant"], task["requester"]
    rules = _rules(deps, tenant)
    refusal = rules.author_refusal(Provider(task["provider"]), requester)
    role = None
    if refusal is None:
        permissions = deps.scm(task).permissions
        own = _cached(
            deps,
            task,
            OWN_ACCOUNT,
            lambda: RepositoryAccess(OWN_ACCOUNT, False, permissions.own_account(tenant)),
        )
        if own.role and own.role.casefold() == requester.strip().casefold():
            _audit(deps, task, "command.ignored", {"reason": "own-account"})
            return {"authorised": False, "reason": "own-account", "replied": False}
        user = ScmUser(requester, str((task.get("extra") or {}).get("requester_id") or ""))
        access = _cached(
            deps,
            task,
            f"user:{requester.strip().casefold()}",
            lambda: permissions.access(tenant, user, writer_groups=rules.writer_groups),
        )
        role = access.role
        if not access.can_write:
            refusal = "no-write-access"
    if refusal is not None:
        replied = refuse(deps, task, refusal, rules=rules, role=role)
        return {"authorised": False, "reason": refusal, "replied": replied, "role": role}
    deps.record(task, "trigger.authorised", {"role": role}, step="authorising")
    return {"authorised": True, "role": role}


def refuse(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    reason: str,
    *,
    rules: TriggerRules | None = None,
    role: str | None = None,
) -> bool:
    """Audit a refused command and reply once on its source unless its author was answered
    within the tenant's window; whether a reply was posted. The reply is best effort: when the
    SCM refuses it, the claim is given back (the next refusal may answer) and the error logged."""
    rules = rules or _rules(deps, task["tenant"])
    provider, author = task["provider"], task["requester"]
    data = {
        "reason": reason,
        "command": task["command"],
        "source": f"{task['source_kind']}:{task['source_id']}",
        "delivery_id": task.get("delivery_id"),
        **({"role": role} if role else {}),
    }
    with deps.tasks.transaction(deps.tenants.locate(task["tenant"])) as tx:
        deps.audit.append(
            tx, kind="command.refused", actor=f"{provider}:{author}", data=data, task_id=task["id"]
        )
        claimed = deps.access.claim_reply(tx, provider, author, rules.refusal_reply_minutes * 60)
    if claimed is None:
        return False
    try:
        deps.scm(task).comments.upsert_comment(
            task["tenant"],
            SourceKind(task["source_kind"]),
            task["source_id"],
            task["id"],
            messages.refusal_comment(reason, author),
        )
    except DomainError as exc:
        log.warning(
            "refusal reply failed: %s (%s)",
            exc.message,
            exc.code,
            extra={"tenant_id": task["tenant"], "task_id": task["id"]},
        )
        with deps.tasks.transaction(deps.tenants.locate(task["tenant"])) as tx:
            deps.access.release_reply(tx, provider, author, claimed)
        return False
    return True


def _rules(deps: PatchFlowDeps, tenant: str) -> TriggerRules:
    return TriggerRules.from_settings(deps.tenants.get(tenant).settings)


def _cached(
    deps: PatchFlowDeps,
    task: dict[str, Any],
    subject: str,
    ask: Callable[[], RepositoryAccess],
) -> RepositoryAccess:
    """The SCM's answer about ``subject``, from the tenant's cache while it is fresh."""
    location = deps.tenants.locate(task["tenant"])
    key = (task["provider"], task["repository"], subject)
    with deps.tasks.transaction(location) as tx:
        hit = deps.access.cached_access(tx, *key, ACCESS_TTL_SECONDS)
    if hit is not None:
        return hit
    answer = ask()
    with deps.tasks.transaction(location) as tx:
        deps.access.store_access(tx, *key, answer)
    return answer


def _audit(deps: PatchFlowDeps, task: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    with deps.tasks.transaction(deps.tenants.locate(task["tenant"])) as tx:
        deps.audit.append(
            tx,
            kind=kind,
            actor=f"{task['provider']}:{task['requester']}",
            data=data,
            task_id=task["id"],
        )
