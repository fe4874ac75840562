"""Reciprocal rank fusion: rankers vote by position, so their scores need no common scale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 60


def ranked(scores: Mapping[str, float]) -> list[str]:
    """Ids by score, best first; ties broken by id so that rankings are deterministic."""
    return sorted(scores, key=lambda k: (-scores[k], k))


def rrf(
    rankings: Mapping[str, Sequence[str]],
    weights: Mapping[str, float] | None = None,
    k: int = RRF_K,
) -> dict[str, float]:
    """score(d) = sum over rankers r of w_r / (k + rank_r(d)), ranks from 1."""
    fused: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for position, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + position)
    return fused
