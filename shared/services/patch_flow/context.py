"""Choosing the repository code an LLM sees for a task, within a token budget.

Candidates are chosen by path first (paths and file names named in the task, then path words),
without reading anything; the candidates read are then ranked by ``shared.retrieval`` (BM25F over
identifiers, paths, docstrings and comments fused with the symbol graph) and packed as symbol
slices with their enclosing signatures, each slice's reasons kept for lineage. Binary, oversized
and skipped files never enter; secrets are redacted later, at the LLM hub.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

from shared.domain.scm import FileContent, TreeEntry
from shared.retrieval.index import RepoIndex
from shared.retrieval.slices import estimate_tokens, pack

#: Files ranked from a kept index (the path candidates' count when it is larger).
KEPT_FILES = 60
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_PATHISH = re.compile(r"[\w./-]+\.[A-Za-z0-9]{1,8}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "into",
        "when",
        "then",
        "than",
        "are",
        "was",
        "were",
        "not",
        "but",
        "fix",
        "bug",
        "agent",
        "please",
        "should",
        "would",
        "could",
        "file",
        "files",
        "code",
        "test",
        "tests",
    ]
)
_SOURCE_SUFFIXES = frozenset(
    [
        ".py",
        ".js",
        ".ts",
        ".tsx",
        ".jsx",
        ".go",
        ".rs",
        ".java",
        ".kt",
        ".cs",
        ".rb",
        ".php",
        ".c",
        ".h",
        ".cpp",
        ".hpp",
        ".md",
        ".toml",
        ".yml",
        ".yaml",
        ".json",
        ".cfg",
        ".ini",
        ".sql",
        ".sh",
        ".txt",
    ]
)


def task_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP}


def _task_terms(text: str) -> tuple[set[str], set[str]]:
    """The task's words and the paths it names. A named path contributes its file stem only:
    its directories would otherwise pull in every sibling."""
    named = set(_PATHISH.findall(text))
    words = task_words(_PATHISH.sub(" ", text))
    words |= {PurePosixPath(p).stem.lower() for p in named if len(PurePosixPath(p).stem) > 2}
    return words, named


@dataclass(frozen=True)
class ContextFile:
    path: str
    text: str
    sha256: str
    tokens: int
    score: float
    why: str
    slices: tuple[dict[str, object], ...] = ()

    def lineage(self) -> dict[str, Any]:
        data = asdict(self)
        del data["text"]
        return data


def path_score(path: str, words: set[str], named: set[str]) -> tuple[float, str]:
    """How strongly a path alone matches the task (0 when it does not)."""
    pure = PurePosixPath(path)
    if path in named or pure.name in named:
        return 100.0, "named in the task"
    parts = {p.lower() for p in re.split(r"[/._-]", path) if p}
    hits = parts & words
    if hits:
        return 10.0 * len(hits), f"path matches {', '.join(sorted(hits))}"
    return 0.0, ""


def rank_candidates(entries: Iterable[TreeEntry], text: str, limit: int = 60) -> list[str]:
    """Paths worth reading, best first: matches by path, then the small source files."""
    words, named = _task_terms(text)
    scored: list[tuple[float, str]] = []
    for entry in entries:
        if entry.skipped or PurePosixPath(entry.path).suffix.lower() not in _SOURCE_SUFFIXES:
            continue
        score, _ = path_score(entry.path, words, named)
        scored.append((score, entry.path))
    scored.sort(key=lambda item: (-item[0], item[1].count("/"), item[1]))
    return [path for _, path in scored[:limit]]


def select_context(
    candidates: list[str],
    read: Callable[[str], FileContent],
    text: str,
    budget_tokens: int,
    *,
    whole_files: bool = False,
    index: RepoIndex | None = None,
) -> list[ContextFile]:
    """Read the candidates, rank them for the task (``shared.retrieval``: fused BM25F and symbol
    graph), and keep what fits the budget: the best symbol slices under their enclosing
    signatures (``slices`` says which and why), or, with ``whole_files`` (the "whole" edit
    format, where the model must return entire files), the best whole files. A kept ``index``
    (``shared/services/repo_index.py``, at the task's commit) ranks the whole repository
    instead, and only whole files are read."""
    contents: dict[str, str | None] = {}
    limit = max(len(candidates), KEPT_FILES)
    if index is None:
        contents = {path: read(path).text for path in candidates}
        index = RepoIndex()
        index.update(contents)
        limit = len(candidates) or 1
    files = {hit.id: hit for hit in index.rank_files(text, k=limit)}
    bodies: dict[str, list[tuple[str, dict[str, object] | None]]]
    if whole_files:
        texts = {p: contents[p] if p in contents else read(p).text for p in files}
        bodies = {p: [(texts[p] or "", None)] for p in files}
    else:
        packed = pack(index, index.rank_chunks(text, k=200), budget_tokens)
        bodies = {p: [(s.text, s.lineage()) for s in pieces] for p, pieces in packed.items()}
    chosen, used = [], 0
    for path, parts in bodies.items():
        body = "\n\n".join(part for part, _ in parts)
        tokens = estimate_tokens(body)
        if used + tokens > budget_tokens:
            continue
        used += tokens
        hit = files.get(path)
        chosen.append(
            ContextFile(
                path=path,
                text=body,
                sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
                tokens=tokens,
                score=round(hit.score, 6) if hit else 0.0,
                why="; ".join(hit.why) if hit else "slice ranked",
                slices=tuple(lineage for _, lineage in parts if lineage),
            )
        )
    return chosen
