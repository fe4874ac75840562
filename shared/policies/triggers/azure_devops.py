"""Azure DevOps service hooks: ``workitem.created``/``workitem.updated`` that add the agent tag,
``/agent`` commands in ``workitem.commented`` and in pull-request comments. The event type and
the delivery id are in the body (``eventType``, ``id``): service hooks send no event header."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.domain.errors import InvalidInput
from shared.domain.task import AgentTask, SourceKind
from shared.policies.triggers.commands import comment_task, html_to_text, labelled_task
from shared.policies.triggers.model import Delivery, Ignored, Source
from shared.policies.triggers.payload import Payload
from shared.policies.triggers.rules import TriggerRules

PR_COMMENT = "ms.vss-code.git-pullrequest-comment-event"


def event_and_delivery_id(
    headers: Mapping[str, str], payload: Mapping[str, Any]
) -> tuple[str, str]:
    p = Payload(payload)
    try:
        return p.text("eventType"), p.text("id")
    except InvalidInput as exc:
        code = "missing-event" if "eventType" in exc.message else "missing-delivery-id"
        raise InvalidInput(exc.message, code=code) from exc


def normalise(delivery: Delivery, rules: TriggerRules) -> AgentTask | Ignored:
    p = Payload(delivery.payload)
    event = delivery.event
    if event in ("workitem.created", "workitem.updated"):
        return _tagged_work_item(delivery, rules, p)
    if event == "workitem.commented":
        return _work_item_comment(delivery, rules, p)
    if event == PR_COMMENT:
        return _pull_request_comment(delivery, rules, p)
    return Ignored("event-not-handled", event)


def identity(value: Any) -> str:
    """An Azure DevOps identity: ``{uniqueName, displayName}`` or, in older payloads, a string
    (``"Name <email>"`` or a display name). The unique name (an e-mail) is preferred."""
    if isinstance(value, Mapping):
        return str(value.get("uniqueName") or value.get("displayName") or "")
    if isinstance(value, str):
        name, _, rest = value.partition("<")
        return rest.rstrip(">").strip() if rest else name.strip()
    return ""


def _tags(value: Any) -> set[str]:
    return {t.strip().casefold() for t in value.split(";")} if isinstance(value, str) else set()


def _tagged_work_item(delivery: Delivery, rules: TriggerRules, p: Payload) -> AgentTask | Ignored:
    resource = p.obj("resource")
    if delivery.event == "workitem.created":
        fields = resource.obj("fields")
        added = _tags(fields.get("System.Tags"))
        requester = identity(fields.get("System.CreatedBy"))
        source = _work_item(resource.text("id"), resource, fields)
    else:
        change = resource.obj("fields").opt_obj("System.Tags")
        added = set()
        if change is not None:
            added = _tags(change.get("newValue")) - _tags(change.get("oldValue"))
        # An update's own ``id`` is the update number; the work item is its ``revision``.
        revision = resource.opt_obj("revision")
        if revision is not None:
            fields = revision.obj("fields")
            source = _work_item(revision.text("id"), revision, fields)
        else:
            fields = resource.obj("fields")
            source = _work_item(resource.text("workItemId"), resource, fields)
        requester = identity(resource.get("revisedBy")) or identity(fields.get("System.ChangedBy"))
    if not rules.tag_matches(added):
        reason = "no-agent-tag" if delivery.event == "workitem.created" else "tag-not-added"
        return Ignored(reason)
    return labelled_task(delivery, rules, source, requester=_required(requester, "the author"))


def _work_item(work_item_id: str, work_item: Payload, fields: Payload) -> Source:
    return Source(
        repository=fields.text("System.TeamProject"),
        kind=SourceKind.WORK_ITEM,
        id=work_item_id,
        title=fields.opt_text("System.Title"),
        description=html_to_text(fields.opt_text("System.Description")),
        url=work_item.opt_text("url"),
        extra={"work_item_type": fields.opt_text("System.WorkItemType")},
    )


def _required(user: str, what: str) -> str:
    if not user:
        raise InvalidInput(f"the payload does not name {what}", code="missing-field")
    return user


def _work_item_comment(delivery: Delivery, rules: TriggerRules, p: Payload) -> AgentTask | Ignored:
    resource = p.obj("resource")
    fields = resource.obj("fields")
    return comment_task(
        delivery,
        rules,
        _work_item(resource.text("id"), resource, fields),
        author=_required(identity(fields.get("System.ChangedBy")), "the commenter"),
        body=fields.text("System.History"),
        html=True,
    )


def _pull_request_comment(
    delivery: Delivery, rules: TriggerRules, p: Payload
) -> AgentTask | Ignored:
    resource = p.obj("resource")
    comment, pr = resource.obj("comment"), resource.obj("pullRequest")
    if comment.flag("isDeleted"):
        return Ignored("action-not-handled", "deleted")
    published = comment.opt_text("publishedDate")
    if published and comment.opt_text("lastContentUpdatedDate") not in ("", published):
        return Ignored("edited")
    repository = pr.obj("repository")
    source = Source(
        repository=f"{repository.obj('project').text('name')}/{repository.text('name')}",
        kind=SourceKind.PULL_REQUEST,
        id=pr.text("pullRequestId"),
        title=pr.opt_text("title"),
        description=pr.opt_text("description"),
        url=_link(pr, "web") or pr.opt_text("url"),
        extra={
            "repository_id": repository.opt_text("id"),
            "comment_id": comment.opt_text("id"),
            "thread_url": _link(comment, "threads"),
        },
    )
    return comment_task(
        delivery,
        rules,
        source,
        author=_required(identity(comment.get("author")), "the comment's author"),
        body=comment.opt_text("content"),
        is_bot=comment.opt_text("commentType") == "system",
    )


def _link(obj: Payload, name: str) -> str:
    links = obj.opt_obj("_links")
    link = links.opt_obj(name) if links else None
    return link.opt_text("href") if link else ""
