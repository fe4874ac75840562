"""The retrieval benchmark's metrics, and the cross-check of the index's fusion weights.

``shared.retrieval.index.FILE_WEIGHTS`` were tuned by coordinate ascent on one half of the
corpus's projects and checked on the other, each half in turn; the shipped weights are the mean
of the two halves' weights. ``cross_check`` redoes that in every run, from each query's per-ranker
file scores, and prints each half's result with the weights tuned on the *other* half beside the
shipped ones, so a gain that only tuning on a query's own project gives shows up as a gap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from shared.retrieval.fusion import linear, ranked
from shared.retrieval.index import FILE_RANK_K, FILE_WEIGHTS

HALF_A = frozenset({"urllib3", "werkzeug", "click", "jinja2", "blinker", "itsdangerous"})
GRID = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
ROUNDS = 2
Evidence = dict[str, dict[str, float]]
Result = tuple[list[str], tuple[str, ...]]


def metrics(results: Sequence[Result]) -> dict[str, float]:
    """Recall@1/5/10 (found in the top k over files changed), ``R@5 cap`` (found in the top 5
    over min(5, files changed)) and MRR (first correct file within the top 10), averaged."""
    out: dict[str, float] = defaultdict(float)
    for ranking, truth in results:
        for k in (1, 5, 10):
            out[f"R@{k}"] += len(set(ranking[:k]) & set(truth)) / len(truth)
        out["R@5 cap"] += len(set(ranking[:5]) & set(truth)) / min(5, len(truth))
        first = next((i for i, p in enumerate(ranking[:10], 1) if p in truth), None)
        out["MRR"] += 1 / first if first else 0.0
    return {k: v / max(len(results), 1) for k, v in out.items()}


def _measure(
    evidence: Sequence[Evidence], truths: Sequence[tuple[str, ...]], weights: Mapping[str, float]
) -> dict[str, float]:
    rankings = [ranked(linear(e, weights, FILE_RANK_K))[:10] for e in evidence]
    return metrics(list(zip(rankings, truths, strict=True)))


def tune(evidence: Sequence[Evidence], truths: Sequence[tuple[str, ...]]) -> dict[str, float]:
    """Coordinate ascent over ``GRID`` on R@5 + MRR / 4, from equal weights."""

    def goal(weights: Mapping[str, float]) -> float:
        m = _measure(evidence, truths, weights)
        return m["R@5"] + m["MRR"] / 4

    weights = dict.fromkeys(FILE_WEIGHTS, 0.5)
    best = goal(weights)
    for _ in range(ROUNDS):
        for name in FILE_WEIGHTS:
            for value in GRID:
                trial = {**weights, name: value}
                score = goal(trial)
                if score > best + 1e-9:
                    best, weights = score, trial
    return weights


def cross_check(
    projects: Sequence[str], evidence: Sequence[Evidence], truths: Sequence[tuple[str, ...]]
) -> None:
    halves: dict[str, Callable[[str], bool]] = {
        "A": HALF_A.__contains__,
        "B": lambda p: p not in HALF_A,
    }
    print("\nfusion weights tuned on one half, measured on the other (and the shipped ones)")
    print(f"{'':<34}{'R@5':>7}{'R@5 cap':>9}{'MRR':>7}")
    for name, keep in halves.items():
        other = next(n for n in halves if n != name)
        inside = [i for i, p in enumerate(projects) if keep(p)]
        outside = [i for i, p in enumerate(projects) if not keep(p)]
        if not inside or not outside:
            continue
        tuned = tune([evidence[i] for i in outside], [truths[i] for i in outside])
        for label, weights in ((f"half {name}, tuned on {other}", tuned), (
            f"half {name}, shipped weights", FILE_WEIGHTS)):  # fmt: skip
            m = _measure([evidence[i] for i in inside], [truths[i] for i in inside], weights)
            print(f"{label:<34}{m['R@5']:>7.3f}{m['R@5 cap']:>9.3f}{m['MRR']:>7.3f}")
        print(f"  tuned on {other}: " + ", ".join(f"{k} {v:g}" for k, v in tuned.items()))
