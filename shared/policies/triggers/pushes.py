"""Push deliveries: the commits a push brought to a repository's default branch.

GitHub ``push``, GitLab ``Push Hook`` and Azure DevOps ``git.push`` are read into one ``Push``
(pure, no I/O). Only a push that updates the default branch *as the payload names it* counts; a
push to another branch, a tag or a branch deletion is ``Ignored`` with a reason. GitHub and
GitLab list each commit's added, modified and removed paths; Azure DevOps lists commits without
paths (``paths_listed`` is then false: the index update derives the changed paths from the tree
listings instead). Everything is bounded: commits per push, message length, paths per commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.task import Provider
from shared.policies.triggers.model import Delivery, Ignored
from shared.policies.triggers.payload import Payload

PUSH_EVENTS = {
    Provider.GITHUB: "push",
    Provider.GITLAB: "Push Hook",
    Provider.AZURE_DEVOPS: "git.push",
}
MAX_COMMITS = 100
MAX_MESSAGE_CHARS = 4000
MAX_PATHS = 300
MAX_PATH_CHARS = 1000
_HEADS = "refs/heads/"
_NULL_SHA = "0" * 40


@dataclass(frozen=True)
class PushedCommit:
    id: str
    message: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Push:
    """A push to ``repository``'s default branch: its new head ``after`` and its commits,
    oldest first (at most ``MAX_COMMITS``, the newest kept)."""

    provider: Provider
    repository: str
    branch: str
    after: str
    commits: tuple[PushedCommit, ...]
    paths_listed: bool


def is_push(delivery: Delivery) -> bool:
    return PUSH_EVENTS.get(delivery.provider) == delivery.event


def read_push(delivery: Delivery) -> Push | Ignored:
    """The push, or why it changes nothing that is indexed. Malformed payloads raise
    ``InvalidInput`` (``missing-field``)."""
    p = Payload(delivery.payload)
    if delivery.provider is Provider.AZURE_DEVOPS:
        return _azure_devops(p)
    if delivery.provider is Provider.GITHUB:
        repo, repository = p.obj("repository"), p.obj("repository").text("full_name")
    else:
        repo, repository = p.obj("project"), p.obj("project").text("path_with_namespace")
    default = repo.opt_text("default_branch")
    ref, after = p.text("ref"), p.opt_text("after")
    ignored = _ignored(ref, after, default)
    if ignored is not None:
        return ignored
    commits = [c for c in p.get("commits") or [] if isinstance(c, dict)]
    return Push(
        delivery.provider,
        repository,
        default,
        after,
        tuple(_commit(Payload(c), "id", "message", listed=True) for c in commits[-MAX_COMMITS:]),
        paths_listed=True,
    )


def _azure_devops(p: Payload) -> Push | Ignored:
    resource = p.obj("resource")
    repo = resource.obj("repository")
    repository = f"{repo.obj('project').text('name')}/{repo.text('name')}"
    default = repo.opt_text("defaultBranch").removeprefix(_HEADS)
    updates = [u for u in resource.get("refUpdates") or [] if isinstance(u, dict)]
    wanted = [u for u in updates if u.get("name") == _HEADS + default]
    if not default or not wanted:
        first = Payload(updates[0]).opt_text("name") if updates else ""
        return _ignored(first or "refs/heads/", "", default) or Ignored("not-default-branch")
    after = Payload(wanted[0]).opt_text("newObjectId")
    ignored = _ignored(_HEADS + default, after, default)
    if ignored is not None:
        return ignored
    # The service hook lists commits newest first; a Push keeps them oldest first.
    commits = [c for c in resource.get("commits") or [] if isinstance(c, dict)][:MAX_COMMITS]
    found = tuple(_commit(Payload(c), "commitId", "comment", listed=False) for c in commits)
    return Push(Provider.AZURE_DEVOPS, repository, default, after, found[::-1], False)


def _ignored(ref: str, after: str, default: str) -> Ignored | None:
    if not ref.startswith(_HEADS):
        return Ignored("not-a-branch", ref[:200])
    if not default:
        return Ignored("default-branch-unknown")
    if ref != _HEADS + default:
        return Ignored("not-default-branch", ref[len(_HEADS) :][:200])
    if not after or after == _NULL_SHA:
        return Ignored("branch-deleted")
    return None


def _commit(c: Payload, id_key: str, message_key: str, *, listed: bool) -> PushedCommit:
    paths: list[str] = []
    if listed:
        for key in ("added", "modified", "removed"):
            value = c.get(key)
            paths.extend(p for p in value or [] if isinstance(p, str) and len(p) <= MAX_PATH_CHARS)
    unique = tuple(dict.fromkeys(paths))[:MAX_PATHS]
    return PushedCommit(c.text(id_key)[:80], c.opt_text(message_key)[:MAX_MESSAGE_CHARS], unique)
