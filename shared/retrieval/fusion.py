"""Fusing rankers: reciprocal rank fusion, and a weighted fusion of ranks and scores.

RRF votes by position only, so scores need no common scale; but a ranker that is sure (one file
far ahead) counts no more than one that barely separates its top. ``linear`` adds, per ranker,
half a reciprocal rank and half the score over that ranker's best, so both position and margin
count; its weights were tuned on half the benchmark's projects and checked on the other half.
"""

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


def linear(
    scores: Mapping[str, Mapping[str, float]], weights: Mapping[str, float], k: int = RRF_K
) -> dict[str, float]:
    """score(d) = sum over rankers r of w_r * ((k + 1) / (2 * (k + rank_r(d))) + s_r(d) /
    (2 * max s_r)); rankers without a weight, and non-positive scores, count nothing."""
    fused: dict[str, float] = {}
    for name, ranker in scores.items():
        weight = weights.get(name, 0.0)
        top = max(ranker.values(), default=0.0)
        if not weight or top <= 0:
            continue
        for position, doc in enumerate(ranked(ranker), start=1):
            value = ranker[doc]
            if value <= 0:
                break
            share = (k + 1) / (k + position) + value / top
            fused[doc] = fused.get(doc, 0.0) + weight * share / 2
    return fused
