"""Pull request iterations, iteration changes and comment threads of the Azure DevOps emulator,
bodies shaped like learn.microsoft.com/rest/api/azure/devops/git (api-version 7.1: Pull Request
Iterations - List, Pull Request Iteration Changes - Get, Pull Request Threads - List / Create /
Update, Pull Request Thread Comments - Update / Delete).

An iteration is recorded whenever the source branch moved since the last one, as a push does.
A thread with a ``threadContext`` is checked as the service checks it: an existing iteration as
``secondComparingIteration``, a file of that iteration's changes, a line of that iteration's new
file and the file's change tracking id; comments of another author cannot be edited or deleted
(403).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.integration.scm.azure_devops_repos import ado_error, identity
from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import Reply, Request

_PR = "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}"
#: (location id, area, resource, route template, resource version) of these resources.
REVIEW_LOCATIONS = [
    (
        "d43911ee-6958-46b0-a42b-8445b8a0d004",
        "git",
        "iterations",
        _PR + "/{resource}/{iterationId}",
        2,
    ),
    (
        "4216bdcf-b6b1-4d59-8b82-c34cc183fc8b",
        "git",
        "changes",
        _PR + "/iterations/{iterationId}/{resource}",
        1,
    ),
    ("ab6e2e5d-a0b7-4153-b64a-a4efe0d49449", "git", "threads", _PR + "/{resource}/{threadId}", 1),
    (
        "965a3ec7-5ed8-455a-bdcb-835a5ea7fe7b",
        "git",
        "comments",
        _PR + "/threads/{threadId}/{resource}/{commentId}",
        1,
    ),
]
_STAMP = "2024-05-01T12:00:00Z"


class AdoReviewApi:
    """Mixed into ``AdoEmulator``, which holds ``forge``, ``pulls``, ``threads``, ``_ids``,
    the identities (``identities_by_account``, ``login``) and builds links with ``_url``."""

    forge: Forge
    pulls: list[dict[str, Any]]
    threads: dict[int, list[dict[str, Any]]]
    identities_by_account: dict[str, dict[str, Any]]
    login: str
    _ids: Iterator[int]

    def review_routes(self, r: str) -> list[tuple[str, str, Any]]:
        pr = rf"{r}/pullRequests/(?P<pr>\d+)"
        t = rf"{pr}/threads/(?P<tid>\d+)"
        return [
            ("GET", rf"{pr}/iterations", self.list_iterations),
            ("GET", rf"{pr}/iterations/(?P<it>\d+)/changes", self.iteration_changes),
            ("GET", rf"{pr}/threads", self.list_threads),
            ("POST", rf"{pr}/threads", self.create_thread),
            ("PATCH", t, self.update_thread),
            ("PATCH", rf"{t}/comments/(?P<cid>\d+)", self.update_thread_comment),
            ("DELETE", rf"{t}/comments/(?P<cid>\d+)", self.delete_thread_comment),
        ]

    def me(self) -> dict[str, Any]:
        """The connection's own identity, as thread comments name their author."""
        person = self.identities_by_account[self.login.casefold()]
        return {"displayName": person["providerDisplayName"], "uniqueName": self.login} | {
            "id": person["id"]
        }

    # --- iterations -----------------------------------------------------------------------------
    def _pull(self, pr: str) -> dict[str, Any]:
        for pull in self.pulls:
            if pull["pullRequestId"] == int(pr):
                return pull
        raise ado_error(
            404,
            "TF401180: The requested pull request was not found.",
            "GitPullRequestNotFoundException",
        )

    def iterations(self, pr: str) -> list[dict[str, Any]]:
        pull = self._pull(pr)
        found: list[dict[str, Any]] = pull.setdefault("_iterations", [])
        head = self.forge.branches[pull["sourceRefName"].removeprefix("refs/heads/")]
        if not found or found[-1]["sourceRefCommit"]["commitId"] != head:
            target = self.forge.branches[pull["targetRefName"].removeprefix("refs/heads/")]
            found.append(
                {
                    "id": len(found) + 1,
                    "description": "Updated" if found else pull["title"],
                    "author": identity("alice"),
                    "createdDate": _STAMP,
                    "updatedDate": _STAMP,
                    "sourceRefCommit": {"commitId": head},
                    "targetRefCommit": {"commitId": target},
                    "commonRefCommit": {"commitId": self.forge.merge_base(head, target)},
                    "hasMoreCommits": False,
                    "reason": "push" if found else "create",
                }
            )
        return found

    def list_iterations(self, request: Request, pr: str) -> Reply:
        found = self.iterations(pr)
        return Reply(200, {"value": found, "count": len(found)})

    def changes(self, pr: str, iteration: dict[str, Any]) -> list[dict[str, Any]]:
        """The iteration's change entries against the common commit; tracking ids per path
        stay the same across iterations."""
        tracking: dict[str, int] = self._pull(pr).setdefault("_tracking", {})
        base = iteration["commonRefCommit"]["commitId"]
        head = iteration["sourceRefCommit"]["commitId"]
        old_tree, new_tree = self.forge.tree_of(base) or {}, self.forge.tree_of(head) or {}
        entries = []
        kinds = {"added": "add", "deleted": "delete", "modified": "edit", "renamed": "rename"}
        for old_path, new_path, status in self.forge.changes(base, head):
            path = str(new_path or old_path)
            change_id = tracking.setdefault(path, len(tracking) + 1)
            item: dict[str, Any] = {"path": f"/{path}"}
            if new_path is not None:
                item["objectId"] = new_tree[new_path][1]
            if old_path is not None:
                item["originalObjectId"] = old_tree[old_path][1]
            entry = {
                "changeTrackingId": change_id,
                "changeId": change_id,
                "item": item,
                "changeType": kinds[status],
            }
            if status == "renamed":
                entry["originalPath"] = f"/{old_path}"
            entries.append(entry)
        return entries

    def iteration_changes(self, request: Request, pr: str, it: str) -> Reply:
        found = self.iterations(pr)
        if not 1 <= int(it) <= len(found):
            raise ado_error(404, f"Iteration {it} not found", "GitPullRequestIterationNotFound")
        entries = self.changes(pr, found[int(it) - 1])
        top, skip = int(request.arg("$top") or 100), int(request.arg("$skip") or 0)
        body: dict[str, Any] = {"changeEntries": entries[skip : skip + top]}
        if skip + top < len(entries):
            body |= {"nextSkip": skip + top, "nextTop": top}
        return Reply(200, body)

    # --- threads --------------------------------------------------------------------------------
    def add_thread(
        self, pr: int, author: dict[str, Any], content: str, **fields: Any
    ) -> dict[str, Any]:
        """A thread of one comment by ``author`` (``fields``: threadContext, status, ...)."""
        thread = {
            "id": next(self._ids),
            "status": fields.pop("status", None),
            "publishedDate": _STAMP,
            "lastUpdatedDate": _STAMP,
            "isDeleted": False,
            "comments": [],
            **fields,
        }
        self.add_reply(thread, author, content)
        self.threads[pr].append(thread)
        return thread

    def add_reply(self, thread: dict[str, Any], author: dict[str, Any], content: str) -> None:
        thread["comments"].append(
            {
                "id": len(thread["comments"]) + 1,
                "parentCommentId": 0 if not thread["comments"] else 1,
                "author": author,
                "content": content,
                "commentType": "text",
                "publishedDate": _STAMP,
                "isDeleted": False,
            }
        )

    def list_threads(self, request: Request, pr: str) -> Reply:
        return Reply(200, {"value": self.threads[int(pr)], "count": len(self.threads[int(pr)])})

    def create_thread(self, request: Request, pr: str) -> Reply:
        body = request.json()
        fields = {k: body[k] for k in ("threadContext", "pullRequestThreadContext") if k in body}
        if "threadContext" in fields:
            self._check_context(pr, fields)
        [first] = body["comments"]
        thread = self.add_thread(
            int(pr), self.me(), first["content"], status=body.get("status"), **fields
        )
        return Reply(200, thread)

    def _check_context(self, pr: str, fields: dict[str, Any]) -> None:
        context, pr_context = fields["threadContext"], fields.get("pullRequestThreadContext") or {}
        found = self.iterations(pr)
        second = (pr_context.get("iterationContext") or {}).get("secondComparingIteration")
        if second not in range(1, len(found) + 1):
            raise ado_error(
                400,
                "The thread context is not valid for this pull request.",
                "InvalidArgumentValueException",
            )
        iteration = found[second - 1]  # the lines are those of the iteration it names
        path = str(context.get("filePath", "")).lstrip("/")
        entry = next(
            (e for e in self.changes(pr, iteration) if e["item"]["path"] == f"/{path}"), None
        )
        lines = self.forge.read(iteration["sourceRefCommit"]["commitId"], path)
        start, end = context.get("rightFileStart") or {}, context.get("rightFileEnd") or {}
        if (
            entry is None
            or lines is None
            or not 1 <= int(start.get("line", 0)) <= len(lines.splitlines())
            or end.get("line") != start.get("line")
            or pr_context.get("changeTrackingId") != entry["changeTrackingId"]
        ):
            raise ado_error(
                400,
                "The thread context is not valid for this pull request.",
                "InvalidArgumentValueException",
            )

    def _thread(self, pr: str, tid: str) -> dict[str, Any]:
        for thread in self.threads[int(pr)]:
            if thread["id"] == int(tid):
                return thread
        raise ado_error(404, "Thread not found", "CommentThreadNotFoundException")

    def _own_comment(self, pr: str, tid: str, cid: str) -> dict[str, Any]:
        for comment in self._thread(pr, tid)["comments"]:
            if comment["id"] == int(cid):
                if comment["author"]["uniqueName"] != self.login:
                    raise ado_error(
                        403, "You can only modify your own comments.", "UnauthorizedException"
                    )
                return comment
        raise ado_error(404, "Comment not found", "CommentNotFoundException")

    def update_thread(self, request: Request, pr: str, tid: str) -> Reply:
        thread = self._thread(pr, tid)
        thread["status"] = request.json().get("status", thread["status"])
        return Reply(200, thread)

    def update_thread_comment(self, request: Request, pr: str, tid: str, cid: str) -> Reply:
        comment = self._own_comment(pr, tid, cid)
        comment["content"] = request.json()["content"]
        return Reply(200, comment)

    def delete_thread_comment(self, request: Request, pr: str, tid: str, cid: str) -> Reply:
        self._own_comment(pr, tid, cid)["isDeleted"] = True
        return Reply(200)
