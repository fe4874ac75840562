"""The promotion gate: may a challenger's evaluation replace the champion's? A pure decision.

A challenger passes when its latest evaluation meets every threshold and, when the champion has
been evaluated on the same suite version, is not worse than the champion by more than
``margin`` on resolved, applied or well-formed rate. Cost and latency are reported, not gated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.domain.models import EvaluationResult

RATES = ("resolved", "applied", "well_formed")


@dataclass(frozen=True)
class GatePolicy:
    min_resolved: float = 0.5
    min_applied: float = 0.7
    min_well_formed: float = 0.8
    margin: float = 0.05


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    reasons: tuple[str, ...]
    challenger: dict[str, float]
    champion: dict[str, float] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "challenger": self.challenger,
            "champion": self.champion,
        }


def judge(
    policy: GatePolicy, challenger: EvaluationResult | None, champion: EvaluationResult | None
) -> GateVerdict:
    """The verdict on ``challenger`` (its latest evaluation; None: never evaluated)."""
    if challenger is None:
        return GateVerdict(False, ("not-evaluated",), {}, None)
    reasons = [
        f"{rate} {getattr(challenger, rate):.2f} below {minimum:.2f}"
        for rate, minimum in zip(
            RATES, (policy.min_resolved, policy.min_applied, policy.min_well_formed), strict=True
        )
        if getattr(challenger, rate) < minimum
    ]
    compared = champion is not None and champion.suite_version == challenger.suite_version
    if compared and champion is not None:
        reasons += [
            f"{rate} {getattr(challenger, rate):.2f} worse than champion's "
            f"{getattr(champion, rate):.2f} beyond margin {policy.margin:.2f}"
            for rate in RATES
            if getattr(challenger, rate) < getattr(champion, rate) - policy.margin
        ]
    return GateVerdict(
        not reasons,
        tuple(reasons),
        challenger.metrics(),
        champion.metrics() if compared and champion is not None else None,
    )
