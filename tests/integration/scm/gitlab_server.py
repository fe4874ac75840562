"""A GitLab REST API v4 emulator (the endpoints GitlabScm uses), bodies shaped like
docs.gitlab.com examples, with GitLab's offset pagination headers."""

from __future__ import annotations

import itertools
import zlib
from typing import Any
from urllib.parse import quote

from tests.integration.scm.forge import Forge
from tests.integration.scm.git_http import GitHttp, basic_password
from tests.integration.scm.gitlab_repository import GitlabRepositoryApi
from tests.integration.scm.gitlab_review import GitlabReviewApi
from tests.integration.scm.http_stub import HttpError, Reply, Request, Router, StubServer

API = "/api/v4"


def _user(username: str) -> dict[str, Any]:
    """A note's author: the token's own user (``agent-bot``) has id 1, as ``GET /user`` says."""
    uid = 1 if username == "agent-bot" else 2000 + zlib.crc32(username.encode()) % 1000
    return {"id": uid, "username": username, "name": username.title(), "state": "active"}


class GitlabEmulator(GitlabRepositoryApi, GitlabReviewApi):
    def __init__(self, path: str, forge: Forge, token: str) -> None:
        self.path, self.forge, self.token = path, forge, token
        self.issues: dict[int, dict[str, Any]] = {}
        self.merge_requests: list[dict[str, Any]] = []
        self.notes: dict[tuple[str, int], list[dict[str, Any]]] = {}
        # Users by username (id, and the access level on this project, direct or inherited,
        # when a member); ``login`` is the token's own user.
        self.users: dict[str, tuple[int, int | None]] = {}
        self.login = "agent-bot"
        self._ids = itertools.count(301)
        self.server = StubServer(self.route)
        self.git = GitHttp(
            forge, f"/{path}.git", lambda header: basic_password(header) == self.token
        )
        self.router = Router()
        # A project is addressed by its URL-encoded path or by its numeric id (3 here).
        p = rf"{API}/projects/(?:{quote(path, safe='')}|3)"
        target = r"(?P<kind>issues|merge_requests)/(?P<iid>\d+)"
        for method, pattern, handler in [
            ("GET", rf"{API}/user", self.get_current_user),
            ("GET", rf"{API}/users", self.list_users),
            ("GET", rf"{p}/members/all/(?P<uid>\d+)", self.get_member),
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
            *self.review_routes(p),
        ]:
            self.router.add(method, pattern, handler)

    @property
    def url(self) -> str:
        return self.server.url

    def _web(self, suffix: str) -> str:
        return f"{self.server.url}/{self.path}/-/{suffix}"

    def route(self, request: Request) -> Reply:
        if (served := self.git.serve(request)) is not None:
            return served
        if request.headers.get("private-token") != self.token:
            return Reply(401, {"message": "401 Unauthorized"})
        return self.router.dispatch(request)

    def add_user(self, username: str, access_level: int | None) -> int:
        """A user, a project member with ``access_level`` (30 Developer ...) unless ``None``."""
        uid = 1000 + len(self.users)
        self.users[username] = (uid, access_level)
        return uid

    def _profile(self, username: str, uid: int) -> dict[str, Any]:
        return {
            "id": uid,
            "username": username,
            "name": username.title(),
            "state": "active",
            "locked": False,
            "avatar_url": "https://www.gravatar.com/avatar/c2525a7f58ae3776070e44c106c48e15",
            "web_url": f"{self.server.url}/{username}",
        }

    def get_current_user(self, request: Request) -> Reply:
        return Reply(200, self._profile(self.login, 1))

    def list_users(self, request: Request) -> Reply:
        """``GET /users?username=``: at most the one user of that name (case-insensitive)."""
        wanted = (request.arg("username") or "").casefold()
        found = [self._profile(n, u) for n, (u, _) in self.users.items() if n.casefold() == wanted]
        return Reply(200, found)

    def get_member(self, request: Request, uid: str) -> Reply:
        """``GET /projects/:id/members/all/:user_id`` (members through ancestor groups too)."""
        for name, (user_id, level) in self.users.items():
            if user_id == int(uid) and level is not None:
                body = self._profile(name, user_id)
                return Reply(200, {**body, "access_level": level, "expires_at": None})
        raise HttpError(404, {"message": "404 Not found"})

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
