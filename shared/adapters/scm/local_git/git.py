"""A bare git repository on disk, driven with the git CLI (plumbing commands only).

The bare repository plays the remote: branches are written with ``update-ref`` and an expected
old value (an atomic compare-and-swap), commits are built in a throw-away index, so nothing is
checked out and concurrent writers cannot clobber each other.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Generator, Mapping
from pathlib import Path

from shared.domain.errors import ScmConflict, ScmError, ScmNotFound, ScmUnavailable
from shared.domain.review import DiffFile
from shared.domain.scm import FileChange

ZERO_SHA = "0" * 40
_NOT_FOUND = (
    "not a valid object name",
    "unknown revision",
    "does not exist",
    "not a tree object",
    "bad revision",
    "invalid object name",
    "not a valid ref",
    "needed a single revision",
)
#: ``git diff --name-status`` letters as the review domain's statuses (copies read as added).
_STATUSES = {"A": "added", "C": "added", "D": "deleted", "M": "modified", "R": "renamed"}
_CONFLICT = ("cannot lock ref", "reference already exists", "but expected")


class GitRepository:
    """Plumbing on one bare repository. Construction does no I/O."""

    def __init__(self, path: Path, *, timeout_s: float = 60.0) -> None:
        self.path = path
        self._timeout_s = timeout_s

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of git commands: this repository, no system config, no prompts."""
        env = {
            **os.environ,
            "GIT_DIR": str(self.path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
        return {**env, **(extra or {})}

    def run(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> bytes:
        """Run ``git args`` in the repository; map failures to domain errors."""
        if not self.path.is_dir():
            raise ScmNotFound(f"local git: no repository at {self.path.name!r}")
        try:
            done = subprocess.run(
                ["git", *args],
                input=stdin,
                capture_output=True,
                env=self.env(env),
                timeout=self._timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ScmUnavailable(f"local git {args[0]} timed out") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", errors="replace").strip()
            lowered = message.lower()
            if any(s in lowered for s in _CONFLICT):
                raise ScmConflict(f"local git {args[0]}: {message}")
            if any(s in lowered for s in _NOT_FOUND):
                raise ScmNotFound(f"local git {args[0]}: {message}")
            raise ScmError(f"local git {args[0]}: {message}", code="scm-git-failed")
        return done.stdout

    def default_branch(self) -> str:
        head = self.run("symbolic-ref", "HEAD").decode().strip()
        return head.removeprefix("refs/heads/")

    def resolve(self, ref: str) -> str:
        """The commit a branch name (or commit id) points at."""
        return (
            self.run("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
            .decode()
            .strip()
        )

    def branch_sha(self, branch: str) -> str | None:
        try:
            return (
                self.run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
                .decode()
                .strip()
            )
        except ScmError:
            return None

    def blob_at(self, commit: str, path: str) -> tuple[str, int] | None:
        """``(blob sha, size)`` of ``path`` at ``commit``, None if it is not a file there."""
        out = self.run("ls-tree", "-l", "-z", "--full-tree", commit, "--", path)
        for record in out.split(b"\x00"):
            meta, _, name = record.partition(b"\t")
            fields = meta.split()
            if name.decode("utf-8", errors="surrogateescape") == path and fields[1] == b"blob":
                return fields[2].decode(), int(fields[3])
        return None

    def read_blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha)

    def merge_base(self, base: str, head: str) -> str:
        return self.run("merge-base", base, head).decode().strip()

    def diff(self, base: str, head: str) -> list[DiffFile]:
        """What ``head`` changes against ``base``, file by file (renames detected), each with
        its unified hunks (three lines of context; ``""`` for binary content)."""
        names = self.run("diff", "--no-ext-diff", "--name-status", "-z", "-M", base, head)
        fields = [f.decode("utf-8", errors="surrogateescape") for f in names.split(b"\x00")]
        files: list[DiffFile] = []
        at = 0
        while at < len(fields) and fields[at]:
            letter = fields[at][0]
            paths = fields[at + 1 : at + (3 if letter in "RC" else 2)]
            at += 1 + len(paths)
            raw = self.run(
                "diff", "--no-ext-diff", "--no-color", "-U3", "-M", base, head, "--", *paths
            ).decode("utf-8", errors="replace")
            start = raw.find("\n@@")
            patch = raw[start + 1 :].rstrip("\n") if start >= 0 else ""
            status = _STATUSES.get(letter, "modified")
            old = paths[0] if status == "renamed" else None
            files.append(DiffFile(paths[-1], old, status, patch))
        return files

    def iter_tree(self, commit: str) -> Generator[tuple[str, str, int], None, None]:
        """``(path, blob sha, size)`` of every file at ``commit``, streamed from ``ls-tree``.

        Submodules (commits) and symlinks are left out: they have no content to offer.
        """
        with subprocess.Popen(
            ["git", "ls-tree", "-r", "-l", "-z", "--full-tree", commit],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self.env(),
        ) as proc:
            assert proc.stdout is not None
            pending = b""
            while chunk := proc.stdout.read(64 * 1024):
                records = (pending + chunk).split(b"\x00")
                pending = records.pop()
                for record in records:
                    meta, _, name = record.partition(b"\t")
                    mode, kind, sha, size = meta.split()
                    if kind == b"blob" and mode != b"120000":
                        yield (
                            name.decode("utf-8", errors="surrogateescape"),
                            sha.decode(),
                            int(size),
                        )
            if proc.wait() != 0:
                raise ScmNotFound(f"local git: cannot list the tree of {commit!r}")

    def commit_change(
        self,
        base: str,
        changes: tuple[FileChange, ...],
        message: str,
        author: tuple[str, str],
    ) -> str:
        """A new commit on top of ``base`` with ``changes`` applied; returns its id."""
        lines: list[str] = []
        for change in changes:
            existing = self.run("ls-tree", "-z", "--full-tree", base, "--", change.path)
            mode = existing.split(b" ", 1)[0].decode() if existing else "100644"
            if change.content is None:
                if existing:
                    lines.append(f"0 {ZERO_SHA}\t{change.path}")
                continue
            blob = self.run("hash-object", "-w", "--stdin", stdin=change.content.encode("utf-8"))
            lines.append(f"{mode} {blob.decode().strip()}\t{change.path}")
        with tempfile.TemporaryDirectory(prefix="aca-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", base, env=env)
            self.run(
                "update-index", "--index-info", stdin="\n".join(lines).encode() + b"\n", env=env
            )
            tree = self.run("write-tree", env=env).decode().strip()
        name, email = author
        identity = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        commit = self.run("commit-tree", tree, "-p", base, stdin=message.encode(), env=identity)
        return commit.decode().strip()

    def create_branch(self, branch: str, sha: str) -> None:
        """Create ``refs/heads/<branch>`` at ``sha``; ``ScmConflict`` if it already exists."""
        self.run("update-ref", f"refs/heads/{branch}", sha, ZERO_SHA)
