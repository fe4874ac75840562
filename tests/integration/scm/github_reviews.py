"""Pull request review endpoints of the GitHub emulator, shaped like docs.github.com examples:
``GET /pulls/{n}``, ``GET /pulls/{n}/files``, review comments (list, edit, delete) and
``POST /pulls/{n}/reviews``. Like GitHub, a review comment must sit on a line of the diff at the
review's ``commit_id`` (an added or context line, ``side=RIGHT``), that commit must be one of the
pull request's, and a ``COMMENT`` review needs a body: anything else is a 422 and nothing of the
review is kept."""

from __future__ import annotations

import itertools
from typing import Any

from shared.domain.review import DiffFile, commentable_lines
from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import HttpError, Reply, Request


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": 1, "type": "User", "site_admin": False}


class GithubReviewApi:
    """Mixed into ``GithubEmulator``, which holds ``forge``, ``pulls``, ``comments`` (issue
    comments by number), ``login`` and ``_ids``, and builds links with ``_api``/``_html``."""

    forge: Forge
    pulls: list[dict[str, Any]]
    comments: dict[int, list[dict[str, Any]]]
    issues: dict[int, dict[str, Any]]
    login: str
    _ids: itertools.count[int]
    #: Review comments by pull request number (humans' and the agent's).
    review_comments: dict[int, list[dict[str, Any]]]

    def add_pull(self, head: str, base: str, title: str, body: str, author: str) -> int:
        """A pull request someone opened from ``head`` (a forge branch) into ``base``."""
        number = len(self.issues) + len(self.pulls) + 1
        self.pulls.append(
            {
                "id": next(self._ids),
                "number": number,
                "state": "open",
                "title": title,
                "body": body,
                "draft": False,
                "merged_at": None,
                "user": _user(author),
                "html_url": self._html(f"pull/{number}"),
                "url": self._api(f"pulls/{number}"),
                "issue_url": self._api(f"issues/{number}"),
                "comments_url": self._api(f"issues/{number}/comments"),
                "review_comments_url": self._api(f"pulls/{number}/comments"),
                "head": {"ref": head, "sha": self.forge.branches[head]},
                "base": {"ref": base, "sha": self.forge.branches[base]},
            }
        )
        self.comments[number] = []
        return number

    def add_review_comment(self, number: int, author: str, path: str, line: int, body: str) -> None:
        """A reviewer's inline comment (what a human writes in the web UI)."""
        self.review_comments.setdefault(number, []).append(
            self._review_comment(number, author, path, line, body, 0)
        )

    def _pull_of(self, n: str) -> dict[str, Any]:
        pull = next((p for p in self.pulls if p["number"] == int(n)), None)
        if pull is None:
            raise HttpError(404, {"message": "Not Found"})
        # the head moves when its branch gets commits, as on GitHub
        pull["head"]["sha"] = self.forge.branches[pull["head"]["ref"]]
        return pull

    def pull_as_issue(self, number: int) -> dict[str, Any]:
        """``GET /issues/{n}`` of a pull request: the issue fields, with ``pull_request``."""
        pull = self._pull_of(str(number))
        return {
            "id": pull["id"],
            "number": number,
            "title": pull["title"],
            "body": pull["body"],
            "user": pull["user"],
            "labels": [],
            "state": pull["state"],
            "comments": len(self.comments.get(number, [])),
            "html_url": pull["html_url"],
            "url": pull["issue_url"],
            "created_at": "2024-05-01T10:00:00Z",
            "pull_request": {"url": pull["url"], "html_url": pull["html_url"]},
        }

    def _files(self, pull: dict[str, Any], commit: str | None = None) -> list[dict[str, Any]]:
        """The diff at ``commit`` (the head by default) against the merge base, as GitHub's
        three-dot diff; a review's lines are read in the diff of its ``commit_id``."""
        head = commit or pull["head"]["sha"]
        return self.forge.diff(self.forge.merge_base(pull["base"]["sha"], head), head)

    def _in_pull(self, pull: dict[str, Any], commit: str) -> bool:
        """Whether ``commit`` is one of the pull request's commits: the head or an ancestor of
        it that the base does not have."""
        if commit not in self.forge.commits:
            return False
        head = pull["head"]["sha"]
        return self.forge.merge_base(head, commit) == commit and (
            self.forge.merge_base(pull["base"]["sha"], commit) != commit
        )

    def get_pull(self, request: Request, n: str) -> Reply:
        return Reply(200, {**self._pull_of(n), "merged": False, "mergeable": True})

    def list_pull_files(self, request: Request, n: str) -> Reply:
        """``GET /repos/{owner}/{repo}/pulls/{pull_number}/files``."""
        pull = self._pull_of(n)
        files = []
        for f in self._files(pull):
            patch = str(f["patch"])
            added = sum(1 for line in patch.splitlines() if line.startswith("+"))
            deleted = sum(1 for line in patch.splitlines() if line.startswith("-"))
            entry = {
                "sha": pull["head"]["sha"],
                "filename": f["path"],
                "status": "removed" if f["status"] == "deleted" else f["status"],
                "additions": added,
                "deletions": deleted,
                "changes": added + deleted,
                "blob_url": self._html(f"blob/{pull['head']['sha']}/{f['path']}"),
                "raw_url": self._html(f"raw/{pull['head']['sha']}/{f['path']}"),
                "contents_url": self._api(f"contents/{f['path']}?ref={pull['head']['sha']}"),
            }
            if patch:
                entry["patch"] = patch
            if f["old_path"]:
                entry["previous_filename"] = f["old_path"]
            files.append(entry)
        return Reply(200, files)

    def _review_comment(
        self, number: int, author: str, path: str, line: int, body: str, review: int
    ) -> dict[str, Any]:
        cid = next(self._ids)
        pull = next(p for p in self.pulls if p["number"] == number)
        return {
            "url": self._api(f"pulls/comments/{cid}"),
            "pull_request_review_id": review,
            "id": cid,
            "node_id": f"PRRC_{cid}",
            "diff_hunk": "",
            "path": path,
            "commit_id": pull["head"]["sha"],
            "original_commit_id": pull["head"]["sha"],
            "user": _user(author),
            "body": body,
            "created_at": "2024-05-01T12:00:00Z",
            "updated_at": "2024-05-01T12:00:00Z",
            "html_url": self._html(f"pull/{number}#discussion_r{cid}"),
            "pull_request_url": self._api(f"pulls/{number}"),
            "line": line,
            "original_line": line,
            "side": "RIGHT",
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "position": line,
            "original_position": line,
            "subject_type": "line",
        }

    def list_review_comments(self, request: Request, n: str) -> Reply:
        self._pull_of(n)
        return Reply(200, self.review_comments.get(int(n), []))

    def create_review(self, request: Request, n: str) -> Reply:
        """``POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews``: every comment must name a
        line of the diff (``line`` + ``side``); one that does not fails the whole review."""
        pull = self._pull_of(n)
        body = request.json()
        commit = str(body.get("commit_id") or pull["head"]["sha"])
        if not self._in_pull(pull, commit):
            raise HttpError(
                422,
                {
                    "message": "Unprocessable Entity",
                    "errors": ["The commitOID is not part of the pull request"],
                },
            )
        lines = {
            str(f["path"]): commentable_lines(
                DiffFile(str(f["path"]), None, str(f["status"]), str(f["patch"]))
            )
            for f in self._files(pull, commit)
        }
        if body.get("event") in ("COMMENT", "REQUEST_CHANGES") and not body.get("body"):
            raise HttpError(
                422,
                {"message": "Unprocessable Entity", "errors": ["Body can't be blank"]},
            )
        for c in body.get("comments", []):
            if "position" in c or c.get("side", "RIGHT") != "RIGHT":
                raise HttpError(422, {"message": "Unprocessable Entity", "errors": ["side"]})
            if c["line"] not in lines.get(c["path"], frozenset()):
                raise HttpError(
                    422,
                    {
                        "message": "Unprocessable Entity",
                        "errors": ["Pull request review thread line must be part of the diff"],
                        "documentation_url": "https://docs.github.com/rest/pulls/reviews"
                        "#create-a-review-for-a-pull-request",
                    },
                )
        review = next(self._ids)
        for c in body.get("comments", []):
            comment = self._review_comment(
                int(n), self.login, c["path"], c["line"], c["body"], review
            )
            comment["commit_id"] = comment["original_commit_id"] = commit
            self.review_comments.setdefault(int(n), []).append(comment)
        return Reply(
            200,
            {
                "id": review,
                "node_id": f"PRR_{review}",
                "user": _user(self.login),
                "body": body.get("body", ""),
                "state": "COMMENTED" if body.get("event") == "COMMENT" else "PENDING",
                "html_url": self._html(f"pull/{n}#pullrequestreview-{review}"),
                "pull_request_url": self._api(f"pulls/{n}"),
                "commit_id": commit,
                "submitted_at": "2024-05-01T12:00:00Z",
                "author_association": "COLLABORATOR",
            },
        )

    def _find_review_comment(self, cid: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        for comments in self.review_comments.values():
            for comment in comments:
                if comment["id"] == int(cid):
                    return comments, comment
        raise HttpError(404, {"message": "Not Found"})

    def edit_review_comment(self, request: Request, cid: str) -> Reply:
        _, comment = self._find_review_comment(cid)
        if comment["user"]["login"] != self.login:  # only one's own comments, as on GitHub
            raise HttpError(403, {"message": "Must have admin rights to Repository."})
        comment["body"] = request.json()["body"]
        return Reply(200, comment)

    def delete_review_comment(self, request: Request, cid: str) -> Reply:
        comments, comment = self._find_review_comment(cid)
        if comment["user"]["login"] != self.login:
            raise HttpError(403, {"message": "Must have admin rights to Repository."})
        comments.remove(comment)
        return Reply(204)
