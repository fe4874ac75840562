"""What a repository's past changes say about its next one: churn and similar past changes.

Two signals that no reading of the current tree gives. *Churn*: the share of recorded changes
that touched a file; files such as ``setup.py``, a package's ``__init__`` or a generated data
table change with most releases whatever their text says. *Similar past changes* (BugLocator's
"similar bug reports"): a query whose words resemble an earlier change's message points at the
files that change touched, each getting the similarity divided by how many files it touched.

Only changes recorded here count, so a caller decides what "the past" is: the platform records a
push's commit messages and changed paths; the benchmark records the releases *before* the one it
ranks, never later ones. The newest ``MAX_CHANGES`` are kept (pushes never stop coming; a query
reads every kept change).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from shared.retrieval.tokens import tokens

MAX_CHANGES = 2000


@dataclass(frozen=True)
class _Change:
    words: Counter[str]
    paths: frozenset[str]


class ChangeHistory:
    def __init__(self) -> None:
        self._changes: deque[_Change] = deque()
        self._churn: Counter[str] = Counter()
        self._df: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._changes)

    def record(self, message: str, paths: Iterable[str]) -> None:
        """One change: its description and the repository-relative paths it touched (a change
        touching nothing is ignored: it says nothing about where changes go)."""
        touched = frozenset(paths)
        if not touched:
            return
        words = Counter(tokens(message))
        self._changes.append(_Change(words, touched))
        self._churn.update(touched)
        self._df.update(words.keys())
        if len(self._changes) > MAX_CHANGES:
            oldest = self._changes.popleft()
            self._churn.subtract(oldest.paths)
            self._df.subtract(oldest.words.keys())
            self._churn, self._df = +self._churn, +self._df  # drop the counts that reached 0

    def churn(self) -> dict[str, float]:
        """Per path, the share of recorded changes that touched it."""
        n = len(self._changes)
        return {path: count / n for path, count in self._churn.items()} if n else {}

    def _vector(self, words: Counter[str]) -> dict[str, float]:
        n = len(self._changes) + 1
        weights = {
            t: (1 + math.log(c)) * math.log(1 + n / (self._df.get(t, 0) + 1))
            for t, c in words.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def similar(self, query: str) -> dict[str, float]:
        """Per path, the summed cosine similarity (tf-idf over identifier-aware tokens) of the
        query to the past changes that touched it, each shared among that change's paths."""
        query_vector = self._vector(Counter(tokens(query)))
        scores: dict[str, float] = defaultdict(float)
        if not query_vector:
            return {}
        for change in self._changes:
            past = self._vector(change.words)
            similarity = sum(w * past.get(t, 0.0) for t, w in query_vector.items())
            if similarity > 0:
                for path in change.paths:
                    scores[path] += similarity / len(change.paths)
        return dict(scores)
