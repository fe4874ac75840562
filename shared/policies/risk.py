"""Risk of a validated patch, and whether a human must approve it before it is pushed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from shared.patching.paths import matches_glob
from shared.policies.agent_config import FlowPlan

LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class RiskAssessment:
    level: str
    reasons: tuple[str, ...]
    approval_required: bool

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reasons": list(self.reasons)}


def assess_risk(
    plan: FlowPlan,
    *,
    paths: list[str],
    deleted: list[str],
    lines_changed: int,
    check_passed: bool | None,
) -> RiskAssessment:
    """Score the change: sensitive areas are high risk; size, deletions and an absent or
    failing check raise it to medium. ``plan.approval`` decides what needs a human:
    ``always``, ``never``, or ``risk`` (medium and above)."""
    reasons: list[tuple[int, str]] = []
    sensitive = [p for p in paths if any(matches_glob(p, g) for g in plan.sensitive_paths)]
    if sensitive:
        reasons.append((2, f"touches sensitive paths: {', '.join(sorted(sensitive))}"))
    if deleted:
        reasons.append((1, f"deletes {len(deleted)} file(s)"))
    if lines_changed > plan.max_changed_lines // 3:
        reasons.append((1, f"{lines_changed} lines changed"))
    if len(paths) > max(1, plan.max_files // 4):
        reasons.append((1, f"{len(paths)} files changed"))
    if check_passed is None:
        reasons.append((1, "no check command configured"))
    elif not check_passed:
        reasons.append((2, "the repository's check failed"))
    level = LEVELS[max((score for score, _ in reasons), default=0)]
    required = {"always": True, "never": False}.get(plan.approval, level != "low")
    return RiskAssessment(level, tuple(reason for _, reason in reasons), required)
