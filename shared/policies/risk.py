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
    unchecked_reason: str | None = None,
) -> RiskAssessment:
    """Score the change: sensitive areas and a failing check are high risk; size, deletions and
    a check that did not run (``check_passed`` None, with ``unchecked_reason``) raise it to
    medium. ``plan.approval`` decides what needs a human: ``always``, ``never``, or ``risk``
    (medium and above), except that unchecked code always needs one, whatever the rule."""
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
        why = unchecked_reason or "no check command configured"
        reasons.append((1, f"not checked ({why}): a human must approve it"))
    elif not check_passed:
        reasons.append((2, "the repository's check failed"))
    level = LEVELS[max((score for score, _ in reasons), default=0)]
    required = {"always": True, "never": False}.get(plan.approval, level != "low")
    required = required or check_passed is None
    return RiskAssessment(level, tuple(reason for _, reason in reasons), required)
