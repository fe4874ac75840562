"""A GitLab REST API v4 emulator (the endpoints GitlabScm uses), bodies shaped like
docs.gitlab.com examples, with GitLab's offset pagination headers."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import HttpError, Reply, Request, Router, StubServer

API = "/api/v4"


def _user(username: str) -> dict[str, Any]:
    return {"id": 1, "username": username, "name": username.title(), "state": "active"}


class GitlabEmulator:
    def __init__(self, path: str, forge: Forge, token: str) -> None:
        self.path, self.forge, self.token = path, forge, token
        self.issues: dict[int, dict[str, Any]] = {}
        self.merge_requests: list[dict[str, Any]] = []
        self.notes: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._ids = itertools.count(301)
        self.server = StubServer(self.route)
        self.router = Router()
        # A project is addressed by its URL-encoded path or by its numeric id (3 here).
        p = rf"{API}/projects/(?:{quote(path, safe='')}|3)"
        target = r"(?P<kind>issues|merge_requests)/(?P<iid>\d+)"
        for method, pattern, handler in [
            ("GET", p, self.get_project),
            ("GET", rf"{p}/{target}", self.get_target),
            ("GET", rf"{p}/{target}/notes", self.list_notes),
            ("POST", rf"{p}/{target}/notes", self.create_note),
            ("PUT", rf"{p}/{target}/notes/(?P<nid>\d+)", self.update_note),
            ("GET", rf"{p}/repository/commits/(?P<ref>[^/]+)", self.get_commit),
            ("POST", rf"{p}/repository/commits", self.create_commit),
            ("GET", rf"{p}/repository/tree", self.tree),
            ("HEAD", rf"{p}/repository/files/(?P<fp>[^/]+)", self.head_file),
            ("GET", rf"{p}/repository/files/(?P<fp>[^/]+)/raw", self.raw_file),
            ("GET", rf"{p}/repository/branches/(?P<branch>[^/]+)", self.get_branch),
            ("GET", rf"{p}/merge_requests", self.list_mrs),
            ("POST", rf"{p}/merge_requests", self.create_mr),
        ]:
            self.router.add(method, pattern, handler)

    @property
    def url(self) -> str:
        return self.server.url

    def _web(self, suffix: str) -> str:
        return f"{self.server.url}/{self.path}/-/{suffix}"

    def route(self, request: Request) -> Reply:
        if request.headers.get("private-token") != self.token:
            return Reply(401, {"message": "401 Unauthorized"})
        return self.router.dispatch(request)

    def add_issue(self, title: str, description: str, author: str, labels: list[str]) -> int:
        iid = len(self.issues) + 1
        self.issues[iid] = {
            "id": 76 + iid,
            "iid": iid,
            "project_id": 3,
            "title": title,
            "description": description,
            "state": "opened",
            "labels": labels,
            "author": _user(author),
            "web_url": self._web(f"issues/{iid}"),
            "created_at": "2024-05-01T10:00:00.000Z",
        }
        self.notes[("issues", iid)] = []
        return iid

    def add_note(
        self, kind: str, iid: int, author: str, body: str, *, system: bool = False
    ) -> dict[str, Any]:
        note = {
            "id": next(self._ids),
            "body": body,
            "author": _user(author),
            "system": system,
            "noteable_type": "Issue" if kind == "issues" else "MergeRequest",
            "noteable_iid": iid,
            "created_at": "2024-05-01T11:00:00.000Z",
            "updated_at": "2024-05-01T11:00:00.000Z",
        }
        self.notes[(kind, iid)].append(note)
        return note

    def _paginate(self, request: Request, items: list[Any]) -> Reply:
        per_page = int(request.arg("per_page", "20") or 20)
        page = int(request.arg("page", "1") or 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(items) // per_page))
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(items)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
        }
        if page < pages:
            query = "&".join(
                f"{k}={quote(v[0], safe='')}" for k, v in request.query.items() if k != "page"
            )
            headers["Link"] = (
                f'<{self.server.url}{request.raw_path}?{query}&page={page + 1}>; rel="next"'
            )
        return Reply(200, chunk, headers)

    # --- project, issues, notes -----------------------------------------------------------------
    def get_project(self, request: Request) -> Reply:
        return Reply(
            200,
            {
                "id": 3,
                "path_with_namespace": self.path,
                "default_branch": "main",
                "web_url": f"{self.server.url}/{self.path}",
                "visibility": "private",
            },
        )

    def _target(self, kind: str, iid: str) -> dict[str, Any]:
        found = (
            self.issues.get(int(iid))
            if kind == "issues"
            else next((m for m in self.merge_requests if m["iid"] == int(iid)), None)
        )
        if found is None:
            raise HttpError(404, {"message": "404 Not found"})
        return found

    def get_target(self, request: Request, kind: str, iid: str) -> Reply:
        return Reply(200, self._target(kind, iid))

    def list_notes(self, request: Request, kind: str, iid: str) -> Reply:
        self._target(kind, iid)
        return self._paginate(request, self.notes[(kind, int(iid))])

    def create_note(self, request: Request, kind: str, iid: str) -> Reply:
        self._target(kind, iid)
        return Reply(201, self.add_note(kind, int(iid), "agent-bot", request.json()["body"]))

    def update_note(self, request: Request, kind: str, iid: str, nid: str) -> Reply:
        for note in self.notes[(kind, int(iid))]:
            if note["id"] == int(nid):
                note["body"] = request.json()["body"]
                return Reply(200, note)
        raise HttpError(404, {"message": "404 Note Not Found"})

    # --- repository -----------------------------------------------------------------------------
    def get_commit(self, request: Request, ref: str) -> Reply:
        sha = self.forge.resolve(ref)
        if sha is None:
            raise HttpError(404, {"message": "404 Commit Not Found"})
        commit = self.forge.commits[sha]
        return Reply(
            200,
            {
                "id": sha,
                "short_id": sha[:8],
                "title": commit["message"],
                "message": commit["message"],
                "parent_ids": commit["parents"],
                "web_url": self._web(f"commit/{sha}"),
            },
        )

    def tree(self, request: Request) -> Reply:
        tree = self.forge.tree_of(request.arg("ref") or "main")
        if tree is None:
            raise HttpError(404, {"message": "404 Tree Not Found"})
        assert (request.arg("recursive") or "").lower() == "true"  # GitLab takes "True" too
        dirs = sorted(
            {"/".join(p.split("/")[:i]) for p in tree for i in range(1, p.count("/") + 1)}
        )
        items = [
            {
                "id": "0" * 40,
                "name": d.rsplit("/", 1)[-1],
                "type": "tree",
                "path": d,
                "mode": "040000",
            }
            for d in dirs
        ]
        items += [
            {"id": blob, "name": p.rsplit("/", 1)[-1], "type": "blob", "path": p, "mode": mode}
            for p, (mode, blob) in sorted(tree.items())
        ]
        return self._paginate(request, items)

    def _file(self, request: Request, fp: str) -> tuple[str, bytes]:
        ref = request.arg("ref") or ""
        tree = self.forge.tree_of(ref)
        if tree is None or fp not in tree:
            raise HttpError(404, {"message": "404 File Not Found"})
        return tree[fp][1], self.forge.blobs[tree[fp][1]]

    def head_file(self, request: Request, fp: str) -> Reply:
        blob, data = self._file(request, fp)
        return Reply(
            200,
            None,
            {
                "X-Gitlab-Blob-Id": blob,
                "X-Gitlab-File-Path": fp,
                "X-Gitlab-Size": str(len(data)),
                "X-Gitlab-Ref": request.arg("ref") or "",
                "X-Gitlab-Encoding": "base64",
            },
        )

    def raw_file(self, request: Request, fp: str) -> Reply:
        return Reply(200, self._file(request, fp)[1])

    def get_branch(self, request: Request, branch: str) -> Reply:
        sha = self.forge.branches.get(branch)
        if sha is None:
            raise HttpError(404, {"message": "404 Branch Not Found"})
        return Reply(
            200,
            {
                "name": branch,
                "merged": False,
                "protected": False,
                "default": branch == "main",
                "commit": {
                    "id": sha,
                    "short_id": sha[:8],
                    "title": self.forge.commits[sha]["message"],
                },
                "web_url": self._web(f"tree/{branch}"),
            },
        )

    def create_commit(self, request: Request) -> Reply:
        body = request.json()
        if body["branch"] in self.forge.branches:
            raise HttpError(400, {"message": f"A branch called '{body['branch']}' already exists."})
        base = self.forge.resolve(body["start_branch"])
        if base is None:
            raise HttpError(404, {"message": "404 Branch Not Found"})
        tree = self.forge.tree_of(base) or {}
        changes: dict[str, bytes | None] = {}
        for action in body["actions"]:
            exists = action["file_path"] in tree
            if (action["action"] == "create") == exists:
                state = "already exists" if exists else "does not exist"
                raise HttpError(400, {"message": f"A file with this name {state}"})
            changes[action["file_path"]] = (
                None if action["action"] == "delete" else action["content"].encode()
            )
        sha = self.forge.commit_changes(base, changes, body["commit_message"])
        self.forge.branches[body["branch"]] = sha
        return Reply(
            201,
            {
                "id": sha,
                "short_id": sha[:8],
                "title": body["commit_message"],
                "author_name": body.get("author_name"),
                "author_email": body.get("author_email"),
                "parent_ids": [base],
                "web_url": self._web(f"commit/{sha}"),
            },
        )

    # --- merge requests -------------------------------------------------------------------------
    def list_mrs(self, request: Request) -> Reply:
        state, source = request.arg("state"), request.arg("source_branch")
        found = [
            m
            for m in self.merge_requests
            if (state in (None, "all") or m["state"] == state)
            and (source is None or m["source_branch"] == source)
        ]
        return self._paginate(request, found)

    def create_mr(self, request: Request) -> Reply:
        body = request.json()
        if any(
            m["source_branch"] == body["source_branch"] and m["state"] == "opened"
            for m in self.merge_requests
        ):
            raise HttpError(
                409,
                {
                    "message": [
                        "Another open merge request already exists for this source branch: !1"
                    ]
                },
            )
        iid = len(self.merge_requests) + 1
        mr = {
            "id": 500 + iid,
            "iid": iid,
            "project_id": 3,
            "title": body["title"],
            "description": body.get("description", ""),
            "state": "opened",
            "source_branch": body["source_branch"],
            "target_branch": body["target_branch"],
            "labels": [x for x in body.get("labels", "").split(",") if x],
            "draft": body["title"].startswith("Draft:"),
            "author": _user("agent-bot"),
            "web_url": self._web(f"merge_requests/{iid}"),
        }
        self.merge_requests.append(mr)
        self.notes[("merge_requests", iid)] = []
        return Reply(201, mr)
