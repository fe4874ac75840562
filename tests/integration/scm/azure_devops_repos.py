"""Azure Repos endpoints of the Azure DevOps emulator: repository, refs, commits, trees, items,
blobs and pushes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import HttpError, Reply, Request

ZERO = "0" * 40


def identity(name: str) -> dict[str, Any]:
    return {"displayName": name.title(), "uniqueName": f"{name}@contoso.com", "id": f"id-{name}"}


def ado_error(status: int, message: str, type_key: str) -> HttpError:
    return HttpError(
        status,
        {
            "$id": "1",
            "innerException": None,
            "message": message,
            "typeName": f"Microsoft.TeamFoundation.{type_key}, Microsoft.TeamFoundation",
            "typeKey": type_key,
            "errorCode": 0,
            "eventId": 3000,
        },
    )


class AdoRepositoryApi:
    """Repository endpoints, mixed into ``AdoEmulator``, which holds ``forge``, ``repo`` and
    ``_ids`` and builds API links with ``_url``."""

    forge: Forge
    repo: str
    _ids: Iterator[int]

    def repository(self, request: Request) -> Reply:
        return Reply(
            200,
            {
                "id": "5febef5a-833d-4e14-b9c0-14cb638f91e6",
                "name": self.repo,
                "project": {"id": "6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c", "name": self.project},
                "defaultBranch": "refs/heads/main",
                "url": self._url(f"git/repositories/{self.repo}"),
                "webUrl": f"{self.org_url}/{self.project}/_git/{self.repo}",
            },
        )

    def refs(self, request: Request) -> Reply:
        prefix = request.arg("filter") or ""
        value = [
            {
                "name": f"refs/heads/{b}",
                "objectId": sha,
                "creator": identity("alice"),
                "url": self._url(f"git/repositories/{self.repo}/refs?filter=heads%2F{b}"),
            }
            for b, sha in sorted(self.forge.branches.items())
            if f"heads/{b}".startswith(prefix)
        ]
        return Reply(200, {"value": value, "count": len(value)})

    def commit(self, request: Request, sha: str) -> Reply:
        if sha not in self.forge.commits:
            raise ado_error(
                404,
                f"TF401175:The version descriptor <Commit: {sha}> could not be resolved",
                "GitUnresolvableToCommitException",
            )
        c = self.forge.commits[sha]
        return Reply(
            200,
            {
                "commitId": sha,
                "treeId": c["tree"],
                "comment": c["message"],
                "parents": c["parents"],
                "author": {
                    "name": "Alice",
                    "email": "alice@contoso.com",
                    "date": "2024-05-01T10:00:00Z",
                },
                "url": self._url(f"git/repositories/{self.repo}/commits/{sha}"),
            },
        )

    def tree(self, request: Request, sha: str) -> Reply:
        assert request.arg("recursive") == "true"
        entries = [
            {
                "objectId": blob,
                "relativePath": path,
                "mode": mode,
                "gitObjectType": "blob",
                "size": len(self.forge.blobs[blob]),
                "url": self._url(f"git/repositories/{self.repo}/blobs/{blob}"),
            }
            for path, (mode, blob) in sorted(self.forge.trees[sha].items())
        ]
        dirs = sorted({p.rsplit("/", 1)[0] for p in self.forge.trees[sha] if "/" in p})
        entries += [
            {
                "objectId": ZERO,
                "relativePath": d,
                "mode": "40000",
                "gitObjectType": "tree",
                "size": 0,
            }
            for d in dirs
        ]
        return Reply(
            200,
            {
                "objectId": sha,
                "size": 1024,
                "treeEntries": entries,
                "url": self._url(f"git/repositories/{self.repo}/trees/{sha}"),
            },
        )

    def item(self, request: Request) -> Reply:
        path = (request.arg("path") or "").lstrip("/")
        ref = request.arg("versionDescriptor.version") or "main"
        kind = request.arg("versionDescriptor.versionType")
        commit = self.forge.resolve(ref) if kind in ("branch", "commit") else None
        tree = self.forge.tree_of(commit) if commit else None
        if tree is None or path not in tree:
            raise ado_error(
                404,
                f"TF401174: The item '/{path}' could not be found in the repository "
                f"'{self.repo}' at the version specified by '<Branch: {ref} >'",
                "GitItemNotFoundException",
            )
        blob = tree[path][1]
        body = {
            "objectId": blob,
            "gitObjectType": "blob",
            "commitId": commit,
            "path": f"/{path}",
            "url": self._url(f"git/repositories/{self.repo}/items?path=%2F{path}"),
        }
        if request.arg("includeContent") == "true":
            body["content"] = self.forge.blobs[blob].decode()
        return Reply(200, body)

    def blob(self, request: Request, sha: str) -> Reply:
        data = self.forge.blobs[sha]
        if request.headers.get("accept", "").startswith("application/octet-stream"):
            return Reply(200, data)
        return Reply(
            200,
            {
                "objectId": sha,
                "size": len(data),
                "url": self._url(f"git/repositories/{self.repo}/blobs/{sha}"),
            },
        )

    def push(self, request: Request) -> Reply:
        body = request.json()
        [update], [commit] = body["refUpdates"], body["commits"]
        branch = update["name"].removeprefix("refs/heads/")
        current = self.forge.branches.get(branch)
        if current is not None and current != update["oldObjectId"]:
            raise ado_error(
                409,
                f"TF401028: The reference '{update['name']}' has already been updated by "
                "another client, so you cannot update it. Please try again.",
                "GitReferenceStaleException",
            )
        base = current or update["oldObjectId"]
        tree = self.forge.tree_of(base) or {}
        changes: dict[str, bytes | None] = {}
        for change in commit["changes"]:
            path = change["item"]["path"].lstrip("/")
            kind = change["changeType"]
            if kind != "delete" and (kind == "add") == (path in tree):
                state = "already exists" if path in tree else "does not exist"
                raise ado_error(
                    400,
                    f"TF401200: The item '/{path}' {state}",
                    "GitItemAlreadyExistsException",
                )
            if change["changeType"] == "delete":
                changes[path] = None
            else:
                assert change["newContent"]["contentType"] == "rawtext"
                changes[path] = change["newContent"]["content"].encode()
        sha = self.forge.commit_changes(base, changes, commit["comment"])
        self.forge.branches[branch] = sha
        return Reply(
            201,
            {
                "pushId": next(self._ids),
                "date": "2024-05-01T12:00:00Z",
                "pushedBy": identity("agent"),
                "commits": [
                    {
                        "commitId": sha,
                        "comment": commit["comment"],
                        "url": self._url(f"git/repositories/{self.repo}/commits/{sha}"),
                    }
                ],
                "refUpdates": [
                    {
                        "repositoryId": "5febef5a-833d-4e14-b9c0-14cb638f91e6",
                        "name": update["name"],
                        "oldObjectId": ZERO if current is None else current,
                        "newObjectId": sha,
                    }
                ],
                "url": self._url(f"git/repositories/{self.repo}/pushes"),
            },
        )
