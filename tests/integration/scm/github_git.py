"""Git Data and contents endpoints of the GitHub emulator: commits, trees, blobs, refs."""

from __future__ import annotations

import base64

from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import HttpError, Reply, Request


class GithubGitApi:
    """Git Data endpoints, mixed into ``GithubEmulator``, which holds ``forge`` and builds API
    links with ``_api``."""

    forge: Forge

    def get_commit(self, request: Request, ref: str) -> Reply:
        sha = self.forge.resolve(ref)
        if sha is None:
            raise HttpError(422, {"message": f"No commit found for SHA: {ref}"})
        tree = str(self.forge.commits[sha]["tree"])
        return Reply(
            200,
            {
                "sha": sha,
                "url": self._api(f"commits/{sha}"),
                "commit": {
                    "message": self.forge.commits[sha]["message"],
                    "tree": {"sha": tree, "url": self._api(f"git/trees/{tree}")},
                },
                "parents": [{"sha": p} for p in self.forge.commits[sha]["parents"]],
            },
        )

    def get_tree(self, request: Request, sha: str) -> Reply:
        if sha not in self.forge.trees:
            raise HttpError(404, {"message": "Not Found"})
        assert request.arg("recursive") in ("1", "true")
        entries = []
        dirs: set[str] = set()
        for path, (mode, blob) in sorted(self.forge.trees[sha].items()):
            parts = path.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]))
            entries.append(
                {
                    "path": path,
                    "mode": mode,
                    "type": "blob",
                    "sha": blob,
                    "size": len(self.forge.blobs[blob]),
                    "url": self._api(f"git/blobs/{blob}"),
                }
            )
        entries += [
            {"path": d, "mode": "040000", "type": "tree", "sha": "0" * 40} for d in sorted(dirs)
        ]
        return Reply(
            200,
            {"sha": sha, "url": self._api(f"git/trees/{sha}"), "tree": entries, "truncated": False},
        )

    def get_contents(self, request: Request, path: str) -> Reply:
        ref = request.arg("ref") or "main"
        tree = self.forge.tree_of(ref)
        if tree is None or path not in tree:
            raise HttpError(404, {"message": "Not Found"})
        blob = tree[path][1]
        data = self.forge.blobs[blob]
        large = len(data) > 1024 * 1024  # the contents API leaves content empty above 1 MB
        return Reply(
            200,
            {
                "type": "file",
                "encoding": "none" if large else "base64",
                "size": len(data),
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "sha": blob,
                "content": "" if large else base64.encodebytes(data).decode(),
                "url": self._api(f"contents/{path}?ref={ref}"),
            },
        )

    def get_blob(self, request: Request, sha: str) -> Reply:
        data = self.forge.blobs[sha]
        return Reply(
            200,
            {
                "sha": sha,
                "size": len(data),
                "encoding": "base64",
                "content": base64.b64encode(data).decode(),
                "url": self._api(f"git/blobs/{sha}"),
            },
        )

    def get_ref(self, request: Request, branch: str) -> Reply:
        if branch not in self.forge.branches:
            raise HttpError(404, {"message": "Not Found"})
        sha = self.forge.branches[branch]
        return Reply(
            200,
            {
                "ref": f"refs/heads/{branch}",
                "url": self._api(f"git/refs/heads/{branch}"),
                "object": {"type": "commit", "sha": sha, "url": self._api(f"git/commits/{sha}")},
            },
        )

    def get_git_commit(self, request: Request, sha: str) -> Reply:
        commit = self.forge.commits[sha]
        return Reply(
            200,
            {
                "sha": sha,
                "message": commit["message"],
                "url": self._api(f"git/commits/{sha}"),
                "tree": {"sha": commit["tree"], "url": self._api(f"git/trees/{commit['tree']}")},
                "parents": [{"sha": p} for p in commit["parents"]],
            },
        )

    def create_tree(self, request: Request) -> Reply:
        body = request.json()
        entries = dict(self.forge.trees[body["base_tree"]])
        for e in body["tree"]:
            if "content" in e:
                entries[e["path"]] = (e["mode"], self.forge.put_blob(e["content"].encode()))
            elif e.get("sha") is None:
                entries.pop(e["path"])
            else:
                entries[e["path"]] = (e["mode"], e["sha"])
        sha = self.forge.put_tree(entries)
        return Reply(
            201, {"sha": sha, "url": self._api(f"git/trees/{sha}"), "tree": [], "truncated": False}
        )

    def create_commit(self, request: Request) -> Reply:
        body = request.json()
        sha = self.forge.put_commit(body["tree"], body["parents"], body["message"])
        return Reply(
            201,
            {
                "sha": sha,
                "message": body["message"],
                "url": self._api(f"git/commits/{sha}"),
                "tree": {"sha": body["tree"]},
                "parents": [{"sha": p} for p in body["parents"]],
                "author": {**body.get("author", {}), "date": "2024-05-01T12:00:00Z"},
            },
        )

    def create_ref(self, request: Request) -> Reply:
        body = request.json()
        branch = body["ref"].removeprefix("refs/heads/")
        if branch in self.forge.branches:
            raise HttpError(422, {"message": "Reference already exists"})
        self.forge.branches[branch] = body["sha"]
        return self.get_ref(request, branch)
