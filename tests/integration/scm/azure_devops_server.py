"""An Azure DevOps REST emulator (what AdoScm uses through the azure-devops SDK), bodies shaped
like learn.microsoft.com/rest/api/azure/devops examples (api-version 7.1).

The SDK discovers routes with ``OPTIONS {organization}/_apis`` (resource locations); this
emulator answers with the locations of the resources it implements, as the service does.
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

from tests.integration.scm.azure_devops_repos import AdoRepositoryApi, ado_error, identity
from tests.integration.scm.azure_devops_review import REVIEW_LOCATIONS, AdoReviewApi
from tests.integration.scm.azure_devops_security import SECURITY_LOCATIONS, AdoSecurityApi
from tests.integration.scm.forge import Forge
from tests.integration.scm.git_http import GitHttp
from tests.integration.scm.http_stub import Reply, Request, Router, StubServer

_REPO = "{project}/_apis/{area}/repositories/{repositoryId}"
#: (location id, area, resource, route template, resource version) as the SDK expects them.
LOCATIONS = [
    ("2d874a60-a811-4f62-9c9f-963a6ea0a55b", "git", "refs", _REPO + "/{resource}/{*filter}", 1),
    (
        "225f7195-f9c7-4d14-ab28-a83f7ff77e1f",
        "git",
        "repositories",
        "{project}/_apis/{area}/{resource}/{repositoryId}",
        1,
    ),
    ("c2570c3b-5b3f-41b8-98bf-5407bfde8d58", "git", "commits", _REPO + "/{resource}/{commitId}", 1),
    ("729f6437-6f92-44ec-8bee-273a7111063c", "git", "trees", _REPO + "/{resource}/{sha1}", 1),
    ("fb93c0db-47ed-4a31-8c20-47552878fb44", "git", "items", _REPO + "/{resource}/{*path}", 1),
    ("7b28e929-2c99-405d-9c5c-6167a06e6816", "git", "blobs", _REPO + "/{resource}/{sha1}", 1),
    ("ea98d07b-3c87-4971-8ede-a613694ffb55", "git", "pushes", _REPO + "/{resource}/{pushId}", 2),
    (
        "9946fd70-0d40-406e-b686-b4744cbbcc37",
        "git",
        "pullRequests",
        _REPO + "/{resource}/{pullRequestId}",
        1,
    ),
    (
        "01a46dea-7d46-4d40-bc84-319e7c260d99",
        "git",
        "pullRequests",
        "{project}/_apis/{area}/{resource}/{pullRequestId}",
        1,
    ),
    (
        "72c7ddf8-2cdc-4f60-90cd-ab71c14a399b",
        "wit",
        "workItems",
        "{project}/_apis/{area}/{resource}/{id}",
        3,
    ),
    (
        "608aac0a-32e1-4493-a863-b9cf4566d257",
        "wit",
        "comments",
        "{project}/_apis/{area}/workItems/{workItemId}/{resource}/{commentId}",
        4,
    ),
]


class AdoEmulator(AdoRepositoryApi, AdoSecurityApi, AdoReviewApi):
    def __init__(self, org: str, project: str, repo: str, forge: Forge, pat: str) -> None:
        self.org, self.project, self.repo, self.forge = org, project, repo, forge
        self.auth = {"Basic " + base64.b64encode(f":{pat}".encode()).decode()}
        self.work_items: dict[int, dict[str, Any]] = {}
        self.wi_comments: dict[int, list[dict[str, Any]]] = {}
        self.pulls: list[dict[str, Any]] = []
        self.threads: dict[int, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self.init_security("agent@contoso.com")
        self.server = StubServer(self.route)
        self.git = GitHttp(forge, f"/{org}/{project}/_git/{repo}", lambda h: h in self.auth)
        self.router = Router()
        base = rf"/{org}/{project}/_apis"
        r = rf"{base}/git/repositories/{repo}"
        for method, pattern, handler in [
            ("OPTIONS", rf"/{org}/_apis", self.options),
            ("GET", rf"/{org}/_apis/(?i:identities)", self.read_identities),
            (
                "GET",
                rf"/{org}/_apis/(?i:accesscontrollists)/(?P<namespace>[0-9a-f-]+)",
                self.access_control_lists,
            ),
            ("GET", rf"/{org}/_apis/(?i:connectiondata)", self.connection_data),
            ("GET", rf"{r}/refs", self.refs),
            ("GET", r, self.repository),
            ("GET", rf"{r}/commits/(?P<sha>[0-9a-f]+)", self.commit),
            ("GET", rf"{r}/trees/(?P<sha>[0-9a-f]+)", self.tree),
            ("GET", rf"{r}/items", self.item),
            ("GET", rf"{r}/blobs/(?P<sha>[0-9a-f]+)", self.blob),
            ("POST", rf"{r}/pushes", self.push),
            ("GET", rf"{r}/pullRequests", self.list_pulls),
            ("POST", rf"{r}/pullRequests", self.create_pull),
            ("GET", rf"{base}/git/pullRequests/(?P<pr>\d+)", self.get_pull),
            *self.review_routes(r),
            ("GET", rf"{base}/wit/workItems/(?P<wid>\d+)", self.work_item),
            ("GET", rf"{base}/wit/workItems/(?P<wid>\d+)/comments", self.list_wi_comments),
            ("POST", rf"{base}/wit/workItems/(?P<wid>\d+)/comments", self.add_wi_comment),
            (
                "PATCH",
                rf"{base}/wit/workItems/(?P<wid>\d+)/comments/(?P<cid>\d+)",
                self.update_wi_comment,
            ),
        ]:
            self.router.add(method, pattern, handler)

    @property
    def org_url(self) -> str:
        return f"{self.server.url}/{self.org}"

    def _url(self, suffix: str) -> str:
        return f"{self.org_url}/{self.project}/_apis/{suffix}"

    def route(self, request: Request) -> Reply:
        if (served := self.git.serve(request)) is not None:
            return served
        if request.headers.get("authorization") not in self.auth:
            return Reply(
                401,
                b"",
                {
                    "WWW-Authenticate": "Bearer authorization_uri=https://login.microsoftonline.com/x"
                },
            )
        return self.router.dispatch(request)

    def options(self, request: Request) -> Reply:
        value = [
            {
                "id": i,
                "area": a,
                "resourceName": n,
                "routeTemplate": t,
                "resourceVersion": v,
                "minVersion": 1.0,
                "maxVersion": 7.1,
                "releasedVersion": "7.0",
            }
            for i, a, n, t, v in LOCATIONS + SECURITY_LOCATIONS + REVIEW_LOCATIONS
        ]
        return Reply(200, {"count": len(value), "value": value})

    # --- work items -----------------------------------------------------------------------------
    def add_work_item(self, title: str, description: str, author: str, tags: str) -> int:
        wid = 100 + len(self.work_items)
        self.work_items[wid] = {
            "id": wid,
            "rev": 3,
            "url": self._url(f"wit/workItems/{wid}"),
            "fields": {
                "System.Id": wid,
                "System.WorkItemType": "Bug",
                "System.State": "New",
                "System.Title": title,
                "System.Description": description,
                "System.CreatedBy": identity(author),
                "System.Tags": tags,
                "System.CreatedDate": "2024-05-01T10:00:00.000Z",
            },
        }
        self.wi_comments[wid] = []
        return wid

    def add_wi_note(self, wid: int, author: str, text: str) -> dict[str, Any]:
        comment = {
            "workItemId": wid,
            "id": next(self._ids),
            "version": 1,
            "text": text,
            "createdBy": identity(author),
            "createdDate": "2024-05-01T11:00:00.000Z",
            "modifiedBy": identity(author),
            "modifiedDate": "2024-05-01T11:00:00.000Z",
            "url": self._url(f"wit/workItems/{wid}/comments"),
        }
        self.wi_comments[wid].append(comment)
        return comment

    def work_item(self, request: Request, wid: str) -> Reply:
        if int(wid) not in self.work_items:
            raise ado_error(
                404,
                f"TF401232: Work item {wid} does not exist.",
                "WorkItemUnauthorizedAccessException",
            )
        return Reply(200, self.work_items[int(wid)])

    def list_wi_comments(self, request: Request, wid: str) -> Reply:
        comments = self.wi_comments[int(wid)]
        top = 2  # small pages, to exercise continuation tokens
        start = int(request.arg("continuationToken") or 0)
        page = comments[start : start + top]
        body: dict[str, Any] = {"totalCount": len(comments), "count": len(page), "comments": page}
        if start + top < len(comments):
            body["continuationToken"] = str(start + top)
        return Reply(200, body)

    def add_wi_comment(self, request: Request, wid: str) -> Reply:
        return Reply(200, self.add_wi_note(int(wid), "agent", request.json()["text"]))

    def update_wi_comment(self, request: Request, wid: str, cid: str) -> Reply:
        for comment in self.wi_comments[int(wid)]:
            if comment["id"] == int(cid):
                comment["text"] = request.json()["text"]
                comment["version"] += 1
                return Reply(200, comment)
        raise ado_error(404, "Comment not found", "CommentNotFoundException")

    # --- pull requests and threads --------------------------------------------------------------
    def list_pulls(self, request: Request) -> Reply:
        source, status = (
            request.arg("searchCriteria.sourceRefName"),
            request.arg("searchCriteria.status"),
        )
        found = [
            p
            for p in self.pulls
            if (source is None or p["sourceRefName"] == source)
            and (status in (None, "all") or p["status"] == status)
        ]
        return Reply(200, {"value": found, "count": len(found)})

    def create_pull(self, request: Request) -> Reply:
        body = request.json()
        if any(
            p["sourceRefName"] == body["sourceRefName"] and p["status"] == "active"
            for p in self.pulls
        ):
            raise ado_error(
                409,
                "TF401179: An active pull request for the source and target branch already exists.",
                "GitPullRequestExistsException",
            )
        pr_id = 20 + len(self.pulls)
        pull = {
            "pullRequestId": pr_id,
            "codeReviewId": pr_id,
            "status": "active",
            "createdBy": identity("agent"),
            "creationDate": "2024-05-01T12:00:00Z",
            "title": body["title"],
            "description": body.get("description"),
            "sourceRefName": body["sourceRefName"],
            "targetRefName": body["targetRefName"],
            "isDraft": body.get("isDraft", False),
            "mergeStatus": "queued",
            "labels": [
                {"id": f"label-{i}", "name": lab["name"], "active": True}
                for i, lab in enumerate(body.get("labels") or [])
            ],
            "repository": {"id": "5febef5a-833d-4e14-b9c0-14cb638f91e6", "name": self.repo},
            "url": self._url(f"git/repositories/{self.repo}/pullRequests/{pr_id}"),
        }
        self.pulls.append(pull)
        self.threads[pr_id] = []
        return Reply(201, pull)

    def get_pull(self, request: Request, pr: str) -> Reply:
        for pull in self.pulls:
            if pull["pullRequestId"] == int(pr):
                return Reply(200, pull)
        raise ado_error(
            404,
            "TF401180: The requested pull request was not found.",
            "GitPullRequestNotFoundException",
        )
