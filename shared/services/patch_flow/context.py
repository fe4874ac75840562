"""Choosing the repository files an LLM sees for a task, within a token budget.

Ranking is lexical and explainable: paths and file names named in the task text score highest,
then files whose path words or defined symbols (``def``/``class``/``function`` names) match the
task's words, then files whose text mentions them. Binary, oversized and skipped files never
enter; secrets are redacted later, at the LLM hub, before anything leaves the platform.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

from shared.domain.scm import FileContent, TreeEntry

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_PATHISH = re.compile(r"[\w./-]+\.[A-Za-z0-9]{1,8}")
_SYMBOL = re.compile(
    r"^\s*(?:async\s+)?(?:def|class|function|func|fn|interface|struct)\s+(\w+)", re.M
)
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


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (about four characters a token)."""
    return len(text) // 4 + 1


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
) -> list[ContextFile]:
    """Read candidates, score them by path, defined symbols and content words, and keep the
    best that fit the budget (a file that does not fit is skipped, a smaller one may still)."""
    words, named = _task_terms(text)
    chosen: list[ContextFile] = []
    for path in candidates:
        content = read(path)
        if content.text is None:
            continue
        score, why = path_score(path, words, named)
        symbols = {s.lower() for s in _SYMBOL.findall(content.text)} & words
        if symbols:
            score += 5.0 * len(symbols)
            why = ", ".join(filter(None, [why, f"defines {', '.join(sorted(symbols))}"]))
        body_hits = len(words & task_words(content.text))
        score += 0.5 * body_hits
        if body_hits and not why:
            why = f"mentions {body_hits} task word(s)"
        if score <= 0:
            continue
        chosen.append(
            ContextFile(
                path=path,
                text=content.text,
                sha256=hashlib.sha256(content.text.encode("utf-8")).hexdigest(),
                tokens=estimate_tokens(content.text),
                score=round(score, 2),
                why=why,
            )
        )
    chosen.sort(key=lambda f: (-f.score, f.path))
    kept: list[ContextFile] = []
    used = 0
    for item in chosen:
        if used + item.tokens > budget_tokens:
            continue
        kept.append(item)
        used += item.tokens
    return kept
