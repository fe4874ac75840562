"""A GitHub REST API emulator (the endpoints GithubScm uses), bodies shaped like docs.github.com
examples, served under ``/api/v3`` as GitHub Enterprise Server does."""

from __future__ import annotations

import itertools
from typing import Any

import jwt

from tests.integration.scm.forge import Forge
from tests.integration.scm.git_http import GitHttp, basic_password
from tests.integration.scm.github_git import GithubGitApi
from tests.integration.scm.github_reviews import GithubReviewApi
from tests.integration.scm.http_stub import HttpError, Reply, Request, Router, StubServer

PREFIX = "/api/v3"


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": 1, "type": "User", "site_admin": False}


class GithubEmulator(GithubGitApi, GithubReviewApi):
    def __init__(self, owner: str, name: str, forge: Forge, token: str) -> None:
        self.owner, self.name, self.forge = owner, name, forge
        self.tokens = {token}
        self.app: tuple[int, str] | None = None  # (app id, public key PEM) for App auth
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.pulls: list[dict[str, Any]] = []
        self.review_comments: dict[int, list[dict[str, Any]]] = {}
        # Collaborators' roles (admin, maintain, write, triage, read) by login; ``users`` exist
        # without being collaborators (they read a public repository); ``login`` is the token's.
        self.collaborators: dict[str, str] = {}
        self.users: set[str] = set()
        self.login = "agent-bot"
        self._ids = itertools.count(1001)
        self.server = StubServer(self.route)
        self.git = GitHttp(
            forge, f"/{owner}/{name}.git", lambda header: basic_password(header) in self.tokens
        )
        self.router = Router()
        repo = rf"{PREFIX}/repos/{owner}/{name}"
        for method, pattern, handler in [
            ("POST", rf"{PREFIX}/app/installations/(?P<inst>\d+)/access_tokens", self.app_token),
            ("GET", rf"{PREFIX}/user", self.get_authenticated_user),
            ("GET", repo, self.get_repo),
            ("GET", rf"{repo}/collaborators/(?P<login>[^/]+)/permission", self.permission),
            ("GET", rf"{repo}/issues/(?P<n>\d+)", self.get_issue),
            ("GET", rf"{repo}/issues/(?P<n>\d+)/comments", self.list_comments),
            ("POST", rf"{repo}/issues/(?P<n>\d+)/comments", self.create_comment),
            ("PATCH", rf"{repo}/issues/comments/(?P<cid>\d+)", self.edit_comment),
            ("POST", rf"{repo}/issues/(?P<n>\d+)/labels", self.add_labels),
            ("GET", rf"{repo}/commits/(?P<ref>[^/]+)", self.get_commit),
            ("GET", rf"{repo}/git/trees/(?P<sha>[0-9a-f]+)", self.get_tree),
            ("GET", rf"{repo}/contents/(?P<path>.+)", self.get_contents),
            ("GET", rf"{repo}/git/blobs/(?P<sha>[0-9a-f]+)", self.get_blob),
            ("GET", rf"{repo}/git/ref/heads/(?P<branch>.+)", self.get_ref),
            ("GET", rf"{repo}/git/commits/(?P<sha>[0-9a-f]+)", self.get_git_commit),
            ("POST", rf"{repo}/git/trees", self.create_tree),
            ("POST", rf"{repo}/git/commits", self.create_commit),
            ("POST", rf"{repo}/git/refs", self.create_ref),
            ("GET", rf"{repo}/pulls", self.list_pulls),
            ("POST", rf"{repo}/pulls", self.create_pull),
            ("GET", rf"{repo}/pulls/(?P<n>\d+)", self.get_pull),
            ("GET", rf"{repo}/pulls/(?P<n>\d+)/files", self.list_pull_files),
            ("GET", rf"{repo}/pulls/(?P<n>\d+)/comments", self.list_review_comments),
            ("POST", rf"{repo}/pulls/(?P<n>\d+)/reviews", self.create_review),
            ("PATCH", rf"{repo}/pulls/comments/(?P<cid>\d+)", self.edit_review_comment),
            ("DELETE", rf"{repo}/pulls/comments/(?P<cid>\d+)", self.delete_review_comment),
        ]:
            self.router.add(method, pattern, handler)

    @property
    def api_url(self) -> str:
        return self.server.url + PREFIX

    def _html(self, suffix: str) -> str:
        return f"{self.server.url}/{self.owner}/{self.name}/{suffix}"

    def _api(self, suffix: str) -> str:
        return f"{self.api_url}/repos/{self.owner}/{self.name}/{suffix}"

    # --- plumbing -------------------------------------------------------------------------------
    def route(self, request: Request) -> Reply:
        if (served := self.git.serve(request)) is not None:
            return served
        if not request.path.endswith("/access_tokens"):
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "token" or token not in self.tokens:
                return Reply(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                    },
                )
        return self.router.dispatch(request)

    def app_token(self, request: Request, inst: str) -> Reply:
        assert self.app is not None
        app_id, public_key = self.app
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            claims = jwt.decode(token, public_key, algorithms=["RS256"])
        except jwt.PyJWTError:
            return Reply(401, {"message": "A JSON web token could not be decoded"})
        if scheme != "Bearer" or str(claims["iss"]) != str(app_id):
            return Reply(401, {"message": "Bad credentials"})
        installation_token = f"ghs_installation{inst}"
        self.tokens.add(installation_token)
        return Reply(
            201,
            {
                "token": installation_token,
                "expires_at": "2099-01-01T00:00:00Z",
                "permissions": {"contents": "write", "issues": "write"},
                "repository_selection": "selected",
            },
        )

    def add_issue(self, title: str, body: str, author: str, labels: list[str]) -> int:
        number = len(self.issues) + len(self.pulls) + 1
        self.issues[number] = {
            "id": next(self._ids),
            "number": number,
            "title": title,
            "body": body,
            "user": _user(author),
            "labels": [{"id": i, "name": n, "color": "f29513"} for i, n in enumerate(labels)],
            "state": "open",
            "comments": 0,
            "html_url": self._html(f"issues/{number}"),
            "url": self._api(f"issues/{number}"),
            "created_at": "2024-05-01T10:00:00Z",
        }
        self.comments[number] = []
        return number

    def add_comment(self, number: int, author: str, body: str) -> dict[str, Any]:
        cid = next(self._ids)
        comment = {
            "id": cid,
            "body": body,
            "user": _user(author),
            "html_url": self._html(f"issues/{number}#issuecomment-{cid}"),
            "url": self._api(f"issues/comments/{cid}"),
            "issue_url": self._api(f"issues/{number}"),
            "created_at": "2024-05-01T11:00:00Z",
            "updated_at": "2024-05-01T11:00:00Z",
        }
        self.comments[number].append(comment)
        return comment

    # --- users and permissions ------------------------------------------------------------------
    def get_authenticated_user(self, request: Request) -> Reply:
        return Reply(200, {**_user(self.login), "name": "Agent Bot", "email": None})

    def permission(self, request: Request, login: str) -> Reply:
        """``GET /repos/{owner}/{repo}/collaborators/{username}/permission``: the legacy
        ``permission`` (maintain reads as write, triage as read) and the ``role_name``."""
        role = self.collaborators.get(login.lower())
        if role is None and login.lower() not in self.users:
            raise HttpError(
                404,
                {
                    "message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest/collaborators/collaborators"
                    "#get-repository-permissions-for-a-user",
                    "status": "404",
                },
            )
        role = role or "read"
        legacy = {"maintain": "write", "triage": "read"}.get(role, role)
        return Reply(200, {"permission": legacy, "role_name": role, "user": _user(login)})

    # --- repository and issues ------------------------------------------------------------------
    def get_repo(self, request: Request) -> Reply:
        return Reply(
            200,
            {
                "id": 1296269,
                "name": self.name,
                "full_name": f"{self.owner}/{self.name}",
                "owner": _user(self.owner),
                "private": False,
                "default_branch": "main",
                "html_url": self._html(""),
                "url": self._api("")[:-1],
            },
        )

    def get_issue(self, request: Request, n: str) -> Reply:
        """An issue, or a pull request seen as an issue (GitHub answers both here)."""
        if int(n) in self.issues:
            return Reply(200, self.issues[int(n)])
        return Reply(200, self.pull_as_issue(int(n)))

    def list_comments(self, request: Request, n: str) -> Reply:
        return Reply(200, self.comments.get(int(n), []))

    def create_comment(self, request: Request, n: str) -> Reply:
        return Reply(201, self.add_comment(int(n), "agent-bot", request.json()["body"]))

    def edit_comment(self, request: Request, cid: str) -> Reply:
        for comments in self.comments.values():
            for comment in comments:
                if comment["id"] == int(cid):
                    comment["body"] = request.json()["body"]
                    return Reply(200, comment)
        raise HttpError(404, {"message": "Not Found"})

    def add_labels(self, request: Request, n: str) -> Reply:
        body = request.json()  # the docs' {"labels": [...]} or a bare array (what PyGithub sends)
        names = body["labels"] if isinstance(body, dict) else body
        return Reply(
            200, [{"id": i, "name": name, "color": "ededed"} for i, name in enumerate(names)]
        )

    # --- pull requests --------------------------------------------------------------------------
    def list_pulls(self, request: Request) -> Reply:
        state, head = request.arg("state", "open"), request.arg("head")
        found = [
            p
            for p in self.pulls
            if (state == "all" or p["state"] == state)
            and (head is None or head == f"{self.owner}:{p['head']['ref']}")
        ]
        return Reply(200, found)

    def create_pull(self, request: Request) -> Reply:
        body = request.json()
        if body["head"] not in self.forge.branches:
            raise HttpError(
                422,
                {"message": "Validation Failed", "errors": [{"field": "head", "code": "invalid"}]},
            )
        number = len(self.issues) + len(self.pulls) + 1
        pull = {
            "id": next(self._ids),
            "number": number,
            "state": "open",
            "title": body["title"],
            "body": body.get("body"),
            "draft": body.get("draft", False),
            "merged_at": None,
            "user": _user("agent-bot"),
            "html_url": self._html(f"pull/{number}"),
            "url": self._api(f"pulls/{number}"),
            "issue_url": self._api(f"issues/{number}"),
            "head": {"ref": body["head"], "sha": self.forge.branches[body["head"]]},
            "base": {"ref": body["base"], "sha": self.forge.branches[body["base"]]},
        }
        self.pulls.append(pull)
        self.comments[number] = []
        return Reply(201, {**pull, "merged": False, "mergeable": None})  # the full pull request
