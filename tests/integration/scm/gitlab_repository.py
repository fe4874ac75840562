"""Repository endpoints of the GitLab emulator: commits, tree, files, branches."""

from __future__ import annotations

from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import HttpError, Reply, Request


class GitlabRepositoryApi:
    """Repository endpoints, mixed into ``GitlabEmulator``, which holds ``forge`` and shapes
    links and pages with ``_web`` and ``_paginate``."""

    forge: Forge

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
