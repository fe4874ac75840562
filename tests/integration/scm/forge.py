"""The repository state behind the HTTP emulators: git-style objects kept in memory.

Blob ids are real git blob ids; trees are flat (full path -> mode, blob id), which is all the
emulated endpoints need.
"""

from __future__ import annotations

import hashlib
import re

_SHA = re.compile(r"^[0-9a-f]{40}$")


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


class Forge:
    def __init__(self, files: dict[str, bytes], *, modes: dict[str, str] | None = None) -> None:
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, dict[str, tuple[str, str]]] = {}
        self.commits: dict[str, dict[str, object]] = {}
        self.branches: dict[str, str] = {}
        modes = modes or {}
        tree = self.put_tree(
            {p: (modes.get(p, "100644"), self.put_blob(d)) for p, d in files.items()}
        )
        self.branches["main"] = self.put_commit(tree, [], "initial import")

    def put_blob(self, data: bytes) -> str:
        sha = blob_id(data)
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: dict[str, tuple[str, str]]) -> str:
        sha = _digest(repr(sorted(entries.items())))
        self.trees[sha] = dict(entries)
        return sha

    def put_commit(self, tree: str, parents: list[str], message: str) -> str:
        sha = _digest(f"{tree}{parents}{message}{len(self.commits)}")
        self.commits[sha] = {"tree": tree, "parents": parents, "message": message}
        return sha

    def resolve(self, ref: str) -> str | None:
        ref = ref.removeprefix("refs/heads/")
        if ref in self.branches:
            return self.branches[ref]
        return ref if _SHA.match(ref) and ref in self.commits else None

    def tree_of(self, ref: str) -> dict[str, tuple[str, str]] | None:
        commit = self.resolve(ref)
        return None if commit is None else self.trees[str(self.commits[commit]["tree"])]

    def read(self, ref: str, path: str) -> bytes | None:
        tree = self.tree_of(ref)
        if tree is None or path not in tree:
            return None
        return self.blobs[tree[path][1]]

    def commit_changes(self, base: str, changes: dict[str, bytes | None], message: str) -> str:
        entries = dict(self.trees[str(self.commits[base]["tree"])])
        for path, data in changes.items():
            if data is None:
                entries.pop(path, None)
            else:
                entries[path] = (entries.get(path, ("100644", ""))[0], self.put_blob(data))
        return self.put_commit(self.put_tree(entries), [base], message)
