"""BM25F: one BM25 over documents with weighted fields, each length-normalised on its own.

Per term, a document's field frequencies are combined before saturation
(tf = sum_f w_f * tf_f / (1 - b + b * len_f / avglen_f)), so a word that appears in a path and a
docstring counts once, strongly, rather than twice. Statistics are recomputed lazily after
documents change, which keeps ``put``/``remove`` cheap for incremental updates.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

K1 = 1.2
B = 0.75


class Bm25f:
    def __init__(self, weights: Mapping[str, float]) -> None:
        self.weights = dict(weights)
        self._docs: dict[str, dict[str, Counter[str]]] = {}
        self._lengths: dict[str, dict[str, int]] = {}
        self._df: Counter[str] | None = None
        self._avg: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def put(self, doc_id: str, fields: Mapping[str, Iterable[str]]) -> None:
        """Add or replace a document; unknown fields are ignored."""
        counted = {f: Counter(fields.get(f, ())) for f in self.weights}
        self._docs[doc_id] = counted
        self._lengths[doc_id] = {f: sum(c.values()) for f, c in counted.items()}
        self._df = None

    def remove(self, doc_id: str) -> None:
        if self._docs.pop(doc_id, None) is not None:
            del self._lengths[doc_id]
            self._df = None

    def _stats(self) -> Counter[str]:
        if self._df is None:
            df: Counter[str] = Counter()
            for fields in self._docs.values():
                df.update({t for c in fields.values() for t in c})
            n = max(len(self._docs), 1)
            self._avg = {
                f: max(sum(ls[f] for ls in self._lengths.values()) / n, 1.0) for f in self.weights
            }
            self._df = df
        return self._df

    def idf(self, term: str) -> float:
        df, n = self._stats()[term], len(self._docs)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: Iterable[str]) -> dict[str, float]:
        """Every document with a positive score for the query's distinct terms."""
        self._stats()
        terms = {t: self.idf(t) for t in set(query)}
        out: dict[str, float] = {}
        for doc_id, fields in self._docs.items():
            lengths, score = self._lengths[doc_id], 0.0
            for term, idf in terms.items():
                tf = 0.0
                for f, weight in self.weights.items():
                    count = fields[f].get(term)
                    if count:
                        tf += weight * count / (1 - B + B * lengths[f] / self._avg[f])
                if tf:
                    score += idf * tf / (K1 + tf)
            if score > 0:
                out[doc_id] = score
        return out
