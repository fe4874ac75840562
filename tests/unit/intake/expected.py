"""What each real fixture must become: the task it asks for, or why it is ignored.

``TRIGGERS`` is the tenant trigger configuration the fixtures are judged under: the fixtures
carry no ``ai-agent`` label, so each provider's tenant uses a label that a fixture really adds
(GitHub ``bug``, GitLab ``Platform``). Comment fixtures contain no command; ``command_variants``
edits only the comment body (or the tags) of the real payload to make one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.domain.task import Command, Provider, SourceKind
from tests.unit.intake.deliveries import Fixture, all_fixtures, fixture

TRIGGERS: dict[Provider, dict[str, Any]] = {
    Provider.GITHUB: {"agent_label": "bug"},
    Provider.GITLAB: {"agent_label": "Platform"},
    Provider.AZURE_DEVOPS: {},
}

_GITHUB_RULES: list[tuple[Callable[[str], bool], str]] = [
    (lambda p: p.startswith("github/ping/"), "ping"),
    (lambda p: p.startswith("github/issues/labeled"), "task"),
    (lambda p: p.startswith("github/issues/"), "action-not-handled"),
    (lambda p: "_comment/created" in p, "no-command"),
    (lambda p: "_comment/edited" in p, "edited"),
    (lambda p: "_comment/deleted" in p, "action-not-handled"),
    (lambda p: True, "event-not-handled"),  # check_run, installation, pull_request*, push
]

_EXPLICIT = {
    "gitlab/issue_hook/gitlab4j.issue-event.json": "task",
    "gitlab/issue_hook/go-gitlab.issue.json": "task",
    "gitlab/issue_hook/gitlab4j.workitem-event.json": "unsupported-source",
    "gitlab/issue_hook/go-playground.confidential-issue-event.json": "confidential",
    "gitlab/issue_hook/go-playground.issue-event.json": "label-not-added",
    "gitlab/note_hook/go-playground.confidential-comment-event.json": "confidential",
    "azure-devops/ms.vss-code.git-pullrequest-comment-event.json": "edited",
    "azure-devops/ms.vss-code.git-pullrequest-comment-event.tingle-1.json": "edited",
    "azure-devops/ms.vss-code.git-pullrequest-comment-event.tingle-2.json": "no-command",
    "azure-devops/workitem.commented.json": "no-command",
    "azure-devops/workitem.commented.aspnet.json": "no-command",
    "azure-devops/workitem.created.json": "no-agent-tag",
    "azure-devops/workitem.created.aspnet.json": "no-agent-tag",
    "azure-devops/workitem.updated.json": "tag-not-added",
    "azure-devops/workitem.updated.aspnet.json": "tag-not-added",
}


# Pushes never make a task: tags and other branches are ignored for that, and a default-branch
# push for the kept index, which the intake under test (no connection directory) does not keep.
_PUSH_IGNORED = {
    "github/push/1.payload.json": "not-a-branch",
    "github/push/payload.json": "not-a-branch",
    "github/push/with-installation.payload.json": "not-a-branch",
    "github/push/with-organization.payload.json": "not-a-branch",
    "azure-devops/git.push.tingle-2.json": "not-default-branch",
}


def expected_intake_outcome(item: Fixture, *, connections: bool = False) -> str:
    """What intake answers: pushes are read there (``shared.policies.triggers.pushes``), before
    the trigger rules, which ignore them as ``event-not-handled``. A push to a default branch is
    then ``push-not-enabled`` where intake has no connection directory, and
    ``repository-not-connected`` in the app, where no tenant connects these fixtures' repos."""
    if item.path.startswith(("github/push/", "gitlab/push_hook/", "azure-devops/git.push.")):
        unconnected = "repository-not-connected" if connections else "push-not-enabled"
        return _PUSH_IGNORED.get(item.path, unconnected)
    return expected_outcome(item)


def expected_outcome(item: Fixture) -> str:
    """``"task"`` or the ``Ignored`` reason."""
    if item.path in _EXPLICIT:
        return _EXPLICIT[item.path]
    if item.provider is Provider.GITHUB:
        return next(reason for matches, reason in _GITHUB_RULES if matches(item.path))
    if item.provider is Provider.GITLAB:
        if "/note_hook/" in item.path:
            commit_or_snippet = any(k in item.path for k in ("commit", "snippet"))
            return "unsupported-source" if commit_or_snippet else "no-command"
        return "event-not-handled"  # merge request, push, pipeline hooks
    return "event-not-handled"  # git.push, git.pullrequest.*


_README_TYPO = "Spelling error in the README file"
_GITLAB_ISSUE = "New API: create/update/delete file"
EXPECTED_TASKS: dict[str, dict[str, Any]] = {
    path: {
        "repository": "Codertocat/Hello-World",
        "source_kind": SourceKind.ISSUE,
        "source_id": "1",
        "command": Command.FIX,
        "requester": "Codertocat",
        "title": _README_TYPO,
        "instruction": f"{_README_TYPO}\n\nIt looks like you accidently spelled 'commit' with two "
        "'t's.",
        "source_url": "https://github.com/Codertocat/Hello-World/issues/1",
    }
    for path in (
        "github/issues/labeled.payload.json",
        "github/issues/labeled.with-organization.payload.json",
    )
} | {
    path: {
        "repository": "gitlabhq/gitlab-test",
        "source_kind": SourceKind.ISSUE,
        "source_id": "23",
        "command": Command.FIX,
        "requester": "root",
        "title": _GITLAB_ISSUE,
        "instruction": f"{_GITLAB_ISSUE}\n\nCreate new API for manipulations with repository",
        "source_url": "http://example.com/diaspora/issues/23",
    }
    for path in (
        "gitlab/issue_hook/gitlab4j.issue-event.json",
        "gitlab/issue_hook/go-gitlab.issue.json",
    )
}


@dataclass(frozen=True)
class Variant:
    name: str
    item: Fixture
    expected: dict[str, Any]


def _edit(path: str, change: Callable[[dict[str, Any]], None]) -> Fixture:
    original = fixture(path)
    payload = copy.deepcopy(original.payload())
    change(payload)
    return original.with_payload(payload)


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        target = payload
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def command_variants() -> list[Variant]:
    """Real comment/work-item payloads whose comment body (or tags) now carries the trigger."""
    variants: list[Variant] = []
    for item in all_fixtures():
        path = item.path
        if path.startswith("github/issue_comment/created"):
            body = "/agent fix the README typo\nKeep the wording."
            variants.append(
                Variant(
                    f"{path}:fix",
                    _edit(path, _set("comment", "body", value=body)),
                    {
                        "repository": "Codertocat/Hello-World",
                        "source_kind": SourceKind.ISSUE,
                        "source_id": "1",
                        "command": Command.FIX,
                        "requester": "Codertocat",
                        "instruction": "the README typo\nKeep the wording.",
                        "title": _README_TYPO,
                    },
                )
            )
        elif path.startswith("github/pull_request_review_comment/created"):
            body = "/agent implement use more emoji on this line"
            variants.append(
                Variant(
                    f"{path}:implement",
                    _edit(path, _set("comment", "body", value=body)),
                    {
                        "repository": "Codertocat/Hello-World",
                        "source_kind": SourceKind.PULL_REQUEST,
                        "source_id": "2",
                        "command": Command.IMPLEMENT,
                        "requester": "Codertocat",
                        "instruction": "use more emoji on this line",
                        "title": "Update the README with new information.",
                    },
                )
            )
        elif "/note_hook/" in path and expected_outcome(item) == "no-command":
            on_issue = "issue" in path
            variants.append(
                Variant(
                    f"{path}:fix",
                    _edit(path, _set("object_attributes", "note", value="/agent fix it\n")),
                    {
                        "repository": "gitlab-org/gitlab-test",
                        "source_kind": SourceKind.ISSUE if on_issue else SourceKind.MERGE_REQUEST,
                        "source_id": "17" if on_issue else "1",
                        "command": Command.FIX,
                        "requester": item.payload()["user"]["username"],
                        "instruction": "it",
                    },
                )
            )
        elif path.startswith("azure-devops/workitem.commented"):
            html = "<div>/agent fix crash on save</div><div>in the editor</div>"
            variants.append(
                Variant(
                    f"{path}:fix",
                    _edit(path, _set("resource", "fields", "System.History", value=html)),
                    {
                        "repository": item.payload()["resource"]["fields"]["System.TeamProject"],
                        "source_kind": SourceKind.WORK_ITEM,
                        "source_id": "5",
                        "command": Command.FIX,
                        "requester": "Jamal Hartnett",
                        "instruction": "crash on save\nin the editor",
                        "title": "Some great new idea!",
                    },
                )
            )
        elif path.startswith("azure-devops/workitem.created"):
            variants.append(
                Variant(
                    f"{path}:tagged",
                    _edit(path, _set("resource", "fields", "System.Tags", value="ui; ai-agent")),
                    {
                        "repository": item.payload()["resource"]["fields"]["System.TeamProject"],
                        "source_kind": SourceKind.WORK_ITEM,
                        "source_id": "5",
                        "command": Command.FIX,
                        "requester": "Jamal Hartnett",
                        "instruction": "Some great new idea!",
                    },
                )
            )
        elif path.startswith("azure-devops/workitem.updated"):
            tags = {"oldValue": "ui", "newValue": "ui; AI-Agent"}
            variants.append(
                Variant(
                    f"{path}:tagged",
                    _edit(path, _set("resource", "fields", "System.Tags", value=tags)),
                    {
                        "repository": item.payload()["resource"]["revision"]["fields"][
                            "System.TeamProject"
                        ],
                        "source_kind": SourceKind.WORK_ITEM,
                        "source_id": "5",
                        "command": Command.FIX,
                        "requester": "Jamal Hartnett",
                        "instruction": "Some great new idea!",
                    },
                )
            )
        elif path.endswith("git-pullrequest-comment-event.tingle-2.json"):
            variants.append(
                Variant(
                    f"{path}:fix",
                    _edit(
                        path,
                        _set("resource", "comment", "content", value="/agent fix the null check"),
                    ),
                    {
                        "repository": "Core/dependabot-sample",
                        "source_kind": SourceKind.PULL_REQUEST,
                        "source_id": "22568",
                        "command": Command.FIX,
                        "requester": "dependabot@tingle.software",
                        "instruction": "the null check",
                        "source_url": "https://dev.azure.com/dependabot/Core/_git/"
                        "dependabot-sample/pullrequest/22568",
                    },
                )
            )
    return variants
