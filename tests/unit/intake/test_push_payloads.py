"""Push payloads of the three SCMs (real fixtures): default-branch pushes, their commits and
paths, bounded; tags, other branches and deletions ignored with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.domain.task import Provider
from shared.policies.triggers import Delivery, Ignored
from shared.policies.triggers.pushes import (
    MAX_COMMITS,
    MAX_MESSAGE_CHARS,
    MAX_PATHS,
    Push,
    read_push,
)
from tests.unit.intake.deliveries import fixture


def _read(path: str, event: str, change: Any = None) -> Push | Ignored:
    item = fixture(path)
    payload = item.payload()
    if change is not None:
        change(payload)
    return read_push(Delivery("t", item.provider, event, "d1", payload, datetime.now(UTC)))


def test_gitlab_push_lists_commits_with_their_paths() -> None:
    push = _read("gitlab/push_hook/gitlab4j.push-event.json", "Push Hook")
    assert isinstance(push, Push)
    assert (push.repository, push.branch, push.paths_listed) == ("mike/diaspora", "master", True)
    assert push.after == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    assert push.commits and all(c.id and c.message for c in push.commits)
    assert any(c.paths for c in push.commits)


def test_azure_devops_push_lists_commits_without_paths_oldest_first() -> None:
    push = _read("azure-devops/git.push.json", "git.push")
    assert isinstance(push, Push) and push.provider is Provider.AZURE_DEVOPS
    assert push.repository == "Fabrikam-Fiber-Git/Fabrikam-Fiber-Git"
    assert push.after == "33b55f7cb7e7e245323987634f960cf4a6e6bc74"
    assert not push.paths_listed and all(c.paths == () for c in push.commits)


def test_github_tag_other_branch_and_deleted_branch_are_ignored() -> None:
    path = "github/push/payload.json"
    assert _read(path, "push") == Ignored("not-a-branch", "refs/tags/simple-tag")

    def other(p: dict[str, Any]) -> None:
        p.update(ref="refs/heads/dev", after="a" * 40)

    def deleted(p: dict[str, Any]) -> None:
        p.update(ref="refs/heads/master", after="0" * 40)

    assert _read(path, "push", other) == Ignored("not-default-branch", "dev")
    assert _read(path, "push", deleted) == Ignored("branch-deleted")


def test_commits_messages_and_paths_are_bounded() -> None:
    def flood(p: dict[str, Any]) -> None:
        added = [f"f{i}.py" for i in range(5000)]
        commit = {"id": "c" * 40, "message": "x" * 10 * MAX_MESSAGE_CHARS, "added": added}
        p.update(ref="refs/heads/master", after="a" * 40, commits=[commit] * (3 * MAX_COMMITS))

    push = _read("github/push/payload.json", "push", flood)
    assert isinstance(push, Push) and len(push.commits) == MAX_COMMITS
    assert len(push.commits[0].message) == MAX_MESSAGE_CHARS
    assert len(push.commits[0].paths) == MAX_PATHS
