"""GitLab: an Issue Hook that adds the agent label, a Note Hook with an ``/agent`` command on an
issue or merge request. Confidential issues and their notes only when the tenant allows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.domain.errors import InvalidInput
from shared.domain.task import AgentTask, SourceKind
from shared.policies.triggers.commands import comment_task, is_gitlab_bot, labelled_task
from shared.policies.triggers.model import Delivery, Ignored, Source
from shared.policies.triggers.payload import Payload
from shared.policies.triggers.rules import TriggerRules

ISSUE_HOOKS = ("Issue Hook", "Confidential Issue Hook")
NOTE_HOOKS = ("Note Hook", "Confidential Note Hook")


def event_and_delivery_id(
    headers: Mapping[str, str], payload: Mapping[str, Any]
) -> tuple[str, str]:
    """``X-Gitlab-Event``; the delivery id is ``Idempotency-Key`` (stable across GitLab's
    retries, GitLab 17.4+), else ``X-Gitlab-Event-UUID``."""
    event = headers.get("x-gitlab-event", "").strip()
    delivery_id = (
        headers.get("idempotency-key", "").strip() or headers.get("x-gitlab-event-uuid", "").strip()
    )
    if not event:
        raise InvalidInput("X-Gitlab-Event header is missing", code="missing-event")
    if not delivery_id:
        raise InvalidInput(
            "Idempotency-Key or X-Gitlab-Event-UUID header is missing", code="missing-delivery-id"
        )
    return event, delivery_id


def normalise(delivery: Delivery, rules: TriggerRules) -> AgentTask | Ignored:
    p = Payload(delivery.payload)
    if delivery.event in ISSUE_HOOKS:
        return _issue_event(delivery, rules, p)
    if delivery.event in NOTE_HOOKS:
        return _note_event(delivery, rules, p)
    return Ignored("event-not-handled", delivery.event)


def _confidential(delivery: Delivery, *objects: Payload | None) -> bool:
    return delivery.event.startswith("Confidential") or any(
        o is not None and o.flag("confidential") for o in objects
    )


def _issue_event(delivery: Delivery, rules: TriggerRules, p: Payload) -> AgentTask | Ignored:
    if p.opt_text("object_kind") != "issue":
        return Ignored("unsupported-source", p.opt_text("object_kind"))
    attributes = p.obj("object_attributes")
    if _confidential(delivery, attributes) and not rules.allow_confidential:
        return Ignored("confidential")
    if not rules.label_matches(_added_labels(p, attributes)):
        return Ignored("label-not-added")
    source = Source(
        repository=p.obj("project").text("path_with_namespace"),
        kind=SourceKind.ISSUE,
        id=attributes.text("iid"),
        title=attributes.opt_text("title"),
        description=attributes.opt_text("description"),
        url=attributes.opt_text("url"),
        extra={
            "project_id": p.obj("project").opt_text("id") or attributes.opt_text("project_id"),
            "requester_id": p.obj("user").opt_text("id"),
        },
    )
    return labelled_task(delivery, rules, source, requester=p.obj("user").text("username"))


def _added_labels(p: Payload, attributes: Payload) -> list[str]:
    """Labels this event added: ``changes.labels`` current minus previous; on ``open`` without
    recorded changes, every label the new issue carries."""
    changes = p.opt_obj("changes")
    labels = changes.opt_obj("labels") if changes else None
    if labels is not None:
        before = {name.casefold() for name in labels.names("previous")}
        return [name for name in labels.names("current") if name.casefold() not in before]
    if attributes.opt_text("action") == "open":
        return p.names("labels") or attributes.names("labels")
    return []


def _note_event(delivery: Delivery, rules: TriggerRules, p: Payload) -> AgentTask | Ignored:
    note = p.obj("object_attributes")
    action = note.opt_text("action")
    if action and action != "create":
        return Ignored("edited") if action == "update" else Ignored("action-not-handled", action)
    if note.flag("system"):
        return Ignored("bot-author", "system note")
    noteable = note.opt_text("noteable_type")
    if noteable == "Issue":
        target, kind = p.obj("issue"), SourceKind.ISSUE
    elif noteable == "MergeRequest":
        target, kind = p.obj("merge_request"), SourceKind.MERGE_REQUEST
    else:
        return Ignored("unsupported-source", noteable)
    if _confidential(delivery, note, target) and not rules.allow_confidential:
        return Ignored("confidential")
    user = p.obj("user")
    username = user.text("username")
    project = p.obj("project")
    source = Source(
        repository=project.text("path_with_namespace"),
        kind=kind,
        id=target.text("iid"),
        title=target.opt_text("title"),
        description=target.opt_text("description"),
        url=note.opt_text("url").split("#", 1)[0],
        extra={
            "project_id": project.opt_text("id") or note.opt_text("project_id"),
            "note_id": note.opt_text("id"),
            "note_url": note.opt_text("url"),
            "requester_id": user.opt_text("id"),
        },
    )
    return comment_task(
        delivery,
        rules,
        source,
        author=username,
        body=note.opt_text("note"),
        is_bot=is_gitlab_bot(username, user.flag("bot")),
    )
