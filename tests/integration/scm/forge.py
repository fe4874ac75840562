"""The repository state behind the HTTP emulators: git objects kept in memory.

Every id is a real git object id (blobs, nested trees, commits), so that ``git_http`` can serve
the same repository to git itself over the smart HTTP protocol; ``trees`` keeps each root tree
flat (full path -> mode, blob id), which is all the emulated REST endpoints need.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator

_SHA = re.compile(r"^[0-9a-f]{40}$")


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _object_id(kind: bytes, content: bytes) -> str:
    return hashlib.sha1(
        b"%s %d\x00" % (kind, len(content)) + content, usedforsecurity=False
    ).hexdigest()


class Forge:
    def __init__(self, files: dict[str, bytes], *, modes: dict[str, str] | None = None) -> None:
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, dict[str, tuple[str, str]]] = {}
        self.commits: dict[str, dict[str, object]] = {}
        self.branches: dict[str, str] = {}
        self.objects: dict[str, tuple[bytes, bytes]] = {}  # id -> (kind, content), for git
        modes = modes or {}
        tree = self.put_tree(
            {p: (modes.get(p, "100644"), self.put_blob(d)) for p, d in files.items()}
        )
        self.branches["main"] = self.put_commit(tree, [], "initial import")

    def _put_object(self, kind: bytes, content: bytes) -> str:
        sha = _object_id(kind, content)
        self.objects[sha] = (kind, content)
        return sha

    def put_blob(self, data: bytes) -> str:
        sha = self._put_object(b"blob", data)
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: dict[str, tuple[str, str]]) -> str:
        sha = self._nested_tree({p: v for p, v in entries.items()})
        self.trees[sha] = dict(entries)
        return sha

    def _nested_tree(self, entries: dict[str, tuple[str, str]]) -> str:
        """The git tree of ``entries`` (paths relative to it); subtrees written first."""
        children: dict[str, tuple[str, str]] = {}
        subdirs: dict[str, dict[str, tuple[str, str]]] = {}
        for path, value in entries.items():
            head, slash, rest = path.partition("/")
            if slash:
                subdirs.setdefault(head, {})[rest] = value
            else:
                children[head] = value
        for name, sub in subdirs.items():
            children[name] = ("40000", self._nested_tree(sub))
        # git orders entries by name, a directory's name as if it ended with "/"
        order = sorted(children, key=lambda n: n + "/" if children[n][0] == "40000" else n)
        content = b"".join(
            b"%s %s\x00" % (children[n][0].encode(), n.encode()) + bytes.fromhex(children[n][1])
            for n in order
        )
        return self._put_object(b"tree", content)

    def put_commit(self, tree: str, parents: list[str], message: str) -> str:
        stamp = 1_700_000_000 + len(self.commits)  # distinct commits for equal trees
        person = f"Forge <forge@example.com> {stamp} +0000"
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
        text = "\n".join([*lines, f"author {person}", f"committer {person}", "", message, ""])
        sha = self._put_object(b"commit", text.encode())
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

    def merge_base(self, a: str, b: str) -> str:
        """The nearest common ancestor of commits ``a`` and ``b``."""
        seen, todo = set(), [a]
        while todo:
            sha = todo.pop()
            if sha not in seen:
                seen.add(sha)
                todo += self.commits[sha]["parents"]  # type: ignore[arg-type]
        queue = [b]
        while queue:
            sha = queue.pop(0)
            if sha in seen:
                return sha
            queue += self.commits[sha]["parents"]  # type: ignore[arg-type]
        raise AssertionError("no common ancestor")

    def changes(self, base: str, head: str) -> Iterator[tuple[str | None, str | None, str]]:
        """(old path, new path, kind) between two commits, by path; a path gone whose exact
        content reappears at a new path is a rename (git's rename detection at 100%)."""
        old, new = self.tree_of(base) or {}, self.tree_of(head) or {}
        gone = {p: old[p][1] for p in old if p not in new}
        came = {p: new[p][1] for p in new if p not in old}
        renamed = {}
        for path, blob in sorted(came.items()):
            source = next((o for o, b in sorted(gone.items()) if b == blob), None)
            if source is not None:
                del gone[source]
                renamed[path] = source
        for path in sorted(set(old) | set(new)):
            if path in renamed:
                yield renamed[path], path, "renamed"
            elif path in came:
                yield None, path, "added"
            elif path in gone:
                yield path, None, "deleted"
            elif path in new and old.get(path) != new[path]:
                yield path, path, "modified"

    def diff(self, base: str, head: str) -> list[dict[str, str | None]]:
        """What ``head`` changes against ``base``, per path, as SCMs show it (``changes``):
        ``path``, ``old_path`` (renames only), ``status`` (added, modified, deleted, renamed)
        and ``patch`` (``hunks``)."""
        return [
            {
                "path": new_path or old_path,
                "old_path": old_path if kind == "renamed" else None,
                "status": kind,
                "patch": hunks(
                    self.read(base, old_path) or b"" if old_path else b"",
                    self.read(head, new_path) or b"" if new_path else b"",
                ),
            }
            for old_path, new_path, kind in self.changes(base, head)
        ]


def hunks(before: bytes, after: bytes) -> str:
    """Unified hunks with three context lines and no ``---``/``+++`` header, as SCM APIs hold
    a file's patch; ``""`` for binary content."""
    if b"\x00" in before[:8192] or b"\x00" in after[:8192]:
        return ""
    lines = difflib.unified_diff(
        before.decode().splitlines(), after.decode().splitlines(), n=3, lineterm=""
    )
    return "\n".join(line for line in lines if not line.startswith(("---", "+++")))
