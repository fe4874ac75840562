"""Trigger rules: which webhook deliveries become agent tasks, and how they are normalised.

Pure functions, no I/O. ``read_delivery`` parses an authenticated body into a ``Delivery``
(400-class ``InvalidInput`` with a machine-readable code when it cannot); ``normalise`` turns a
delivery into one ``AgentTask`` or ``Ignored(reason)``; ``control_refusal`` says whether a
``cancel``/``approve``/``reject`` command may act on the running task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import ModuleType

from shared.domain.errors import InvalidInput
from shared.domain.task import AgentTask, Command, Provider
from shared.policies.triggers import azure_devops, github, gitlab
from shared.policies.triggers.json_text import loads_json_text
from shared.policies.triggers.model import Delivery, Ignored, Source, task_id_for
from shared.policies.triggers.rules import WEBHOOK_PROVIDERS, TriggerRules

__all__ = [
    "WEBHOOK_PROVIDERS",
    "Delivery",
    "Ignored",
    "Source",
    "TriggerRules",
    "control_refusal",
    "normalise",
    "read_delivery",
    "task_id_for",
]

_MODULES: dict[Provider, ModuleType] = {
    Provider.GITHUB: github,
    Provider.GITLAB: gitlab,
    Provider.AZURE_DEVOPS: azure_devops,
}
MAX_DELIVERY_ID_LENGTH = 200


def read_delivery(
    tenant: str,
    provider: Provider,
    headers: Mapping[str, str],
    body: bytes,
    received_at: datetime,
) -> Delivery:
    """Parse an authenticated body. ``headers`` must have lower-case names."""
    payload = loads_json_text(body)
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be a JSON object", code="not-an-object")
    event_and_id: Callable[..., tuple[str, str]] = _MODULES[provider].event_and_delivery_id
    event, delivery_id = event_and_id(headers, payload)
    if len(delivery_id) > MAX_DELIVERY_ID_LENGTH:
        raise InvalidInput("the delivery id is too long", code="invalid-delivery-id")
    return Delivery(tenant, provider, event, delivery_id, payload, received_at)


def normalise(delivery: Delivery, rules: TriggerRules) -> AgentTask | Ignored:
    """The task this delivery asks for, or why it is ignored."""
    result: AgentTask | Ignored = _MODULES[delivery.provider].normalise(delivery, rules)
    return result


def control_refusal(command: AgentTask, rules: TriggerRules, task_requester: str) -> str | None:
    """Why a ``cancel``/``approve``/``reject`` from ``command.requester`` may not act on a running
    task requested by ``task_requester`` (``None``: it may).

    Approvals come only from the tenant's allowed approvers and never from the task's own
    requester (four eyes). A task may be cancelled by its requester or by an approver.
    """
    user, provider = command.requester, command.provider
    own = user.casefold() == task_requester.casefold()
    if command.command in (Command.APPROVE, Command.REJECT):
        if not rules.may_approve(provider, user):
            return "approver-not-allowed"
        return "self-approval" if own else None
    if command.command is Command.CANCEL and not (own or rules.may_approve(provider, user)):
        return "cancel-not-allowed"
    return None
