"""GitHub: ``issues`` labeled with the agent label, ``/agent`` commands in ``issue_comment`` (issue
or PR) and ``pull_request_review_comment``; ``ping`` is acknowledged; everything else ignored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from shared.domain.errors import InvalidInput
from shared.domain.task import AgentTask, SourceKind
from shared.policies.triggers.commands import comment_task, is_github_bot, labelled_task
from shared.policies.triggers.model import Delivery, Ignored, Source
from shared.policies.triggers.payload import Payload
from shared.policies.triggers.rules import TriggerRules


def event_and_delivery_id(
    headers: Mapping[str, str], payload: Mapping[str, Any]
) -> tuple[str, str]:
    """``X-GitHub-Event`` and ``X-GitHub-Delivery`` (header names are lower-case)."""
    event = headers.get("x-github-event", "").strip()
    delivery_id = headers.get("x-github-delivery", "").strip()
    if not event:
        raise InvalidInput("X-GitHub-Event header is missing", code="missing-event")
    if not delivery_id:
        raise InvalidInput("X-GitHub-Delivery header is missing", code="missing-delivery-id")
    return event, delivery_id


def normalise(delivery: Delivery, rules: TriggerRules) -> AgentTask | Ignored:
    p = Payload(delivery.payload)
    if delivery.event == "ping":
        return Ignored("ping")
    if delivery.event == "issues":
        return _labeled_issue(delivery, rules, p)
    if delivery.event in ("issue_comment", "pull_request_review_comment"):
        action = p.opt_text("action")
        if action != "created":
            return (
                Ignored("edited") if action == "edited" else Ignored("action-not-handled", action)
            )
        source = _issue(p) if delivery.event == "issue_comment" else _reviewed_pr(p)
        return _comment(delivery, rules, p, source)
    return Ignored("event-not-handled", delivery.event)


def _labeled_issue(delivery: Delivery, rules: TriggerRules, p: Payload) -> AgentTask | Ignored:
    action = p.opt_text("action")
    if action != "labeled":
        return Ignored("action-not-handled", action)
    if not rules.label_matches([p.obj("label").text("name")]):
        return Ignored("label-not-agent")
    requester = p.obj("sender").text("login")
    return labelled_task(delivery, rules, _issue(p), requester=requester)


def _comment(
    delivery: Delivery, rules: TriggerRules, p: Payload, source: Source
) -> AgentTask | Ignored:
    comment = p.obj("comment")
    user = comment.obj("user")
    login = user.text("login")
    source = replace(
        source,
        extra={
            **source.extra,
            "comment_id": comment.opt_text("id"),
            "comment_url": comment.opt_text("html_url"),
        },
    )
    return comment_task(
        delivery,
        rules,
        source,
        author=login,
        body=comment.opt_text("body"),
        is_bot=is_github_bot(login, user.opt_text("type")),
    )


def _issue(p: Payload) -> Source:
    issue = p.obj("issue")
    is_pr = issue.opt_obj("pull_request") is not None
    return Source(
        repository=p.obj("repository").text("full_name"),
        kind=SourceKind.PULL_REQUEST if is_pr else SourceKind.ISSUE,
        id=issue.text("number"),
        title=issue.opt_text("title"),
        description=issue.opt_text("body"),
        url=issue.opt_text("html_url"),
    )


def _reviewed_pr(p: Payload) -> Source:
    pr, comment = p.obj("pull_request"), p.obj("comment")
    return Source(
        repository=p.obj("repository").text("full_name"),
        kind=SourceKind.PULL_REQUEST,
        id=pr.text("number"),
        title=pr.opt_text("title"),
        description=pr.opt_text("body"),
        url=pr.opt_text("html_url"),
        extra={
            "path": comment.opt_text("path"),
            "line": comment.get("line"),
            "commit_id": comment.opt_text("commit_id"),
        },
    )
