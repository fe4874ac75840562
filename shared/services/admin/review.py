"""What the console's task page shows beside the lineage: the diff under review (whole and per
file, for a side-by-side view), the patch policy's risk reasons, the sandboxed check, the model
card of the version that answered, and the approval state for the caller.

Everything is read from what the flow recorded (``lineage``, ``approval_events``); nothing is
recomputed. Repository text is hostile and may hold secrets the requester never meant to show
(a key next to the changed lines, a token the check printed): every text this module returns
goes through the tenant's secret redaction (``redacted``), the same detectors and per-tenant
placeholders that keep secrets out of prompts.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Any

from shared.api.operations import BY_ID
from shared.domain.approval import ApprovalDecision, TaskUnderDecision
from shared.domain.models import card_path
from shared.domain.task import TaskStatus
from shared.patching.model import EditKind, FileEdit, Hunk
from shared.patching.udiff import parse_unified_diff
from shared.policies.rbac import TENANT_ROLES, app_roles, approver_refusal, granted
from shared.policies.secrets import find_secrets, placeholder, redact

MAX_DIFF_CHARS = 200_000
MAX_CHECK_OUTPUT_CHARS = 4000
_CHANGE = {
    EditKind.MODIFY: "modified",
    EditKind.CREATE: "added",
    EditKind.DELETE: "deleted",
    EditKind.RENAME: "renamed",
}
_KIND = {" ": "context", "+": "added", "-": "removed"}
_CHECK_FIELDS = ("state", "command", "exit_code", "timed_out", "reason", "detail", "output_tail")


def redacted(value: Any, key: bytes) -> Any:
    """``value`` with every string (keys of mappings too) redacted under ``key``."""
    if isinstance(value, str):
        return redact(value, key=key).text
    if isinstance(value, dict):
        return {redacted(k, key): redacted(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(v, key) for v in value]
    return value


def review_view(lineage: dict[str, Any], key: bytes) -> dict[str, Any] | None:
    """The diff recorded for review (with the risk assessment), redacted; per file, its hunks
    with both sides' line numbers. Lines are redacted after parsing, so a placeholder never
    shifts the hunks' line counts."""
    raw = (lineage.get("review") or {}).get("diff")
    if not isinstance(raw, str) or not raw:
        return None
    raw = raw[:MAX_DIFF_CHARS]
    files = [_file(edit) for edit in parse_unified_diff(raw)]
    rows = [row for f in files for hunk in f["hunks"] for row in hunk["lines"]]
    for row, text in zip(rows, _redacted_lines([r["text"] for r in rows], key), strict=True):
        row["text"] = text
    for f in files:
        for name in ("path", "old_path", "new_path"):
            if f[name] is not None:
                f[name] = redact(f[name], key=key).text
    return {
        "diff": redact(raw, key=key).text,
        "truncated": len(raw) >= MAX_DIFF_CHARS,
        "files": files,
    }


def _redacted_lines(lines: list[str], key: bytes) -> list[str]:
    """Each line redacted, the lines searched as one text (a secret may span lines, as a PEM
    block does): a secret's placeholder goes where it starts, and the rest of it is cut from
    the lines it continues on, so every line keeps its place."""
    text = "\n".join(lines)
    findings = find_secrets(text)
    if not findings:
        return lines
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    pieces: list[list[str]] = [[] for _ in lines]
    cut = [0] * len(lines)  # per line: where its text not yet copied begins (line-relative)
    for finding in findings:
        first = bisect_right(starts, finding.start) - 1
        last = bisect_right(starts, max(finding.start, finding.end - 1)) - 1
        for index in range(first, last + 1):
            begin = max(finding.start, starts[index]) - starts[index]
            pieces[index].append(lines[index][cut[index] : begin])
            if index == first:
                secret = text[finding.start : finding.end]
                pieces[index].append(placeholder(finding.kind, secret, key=key))
            cut[index] = min(finding.end - starts[index], len(lines[index]))
    return ["".join(p) + line[c:] for p, line, c in zip(pieces, lines, cut, strict=True)]


def _file(edit: FileEdit) -> dict[str, Any]:
    hunks = [_hunk(h) for h in edit.hunks]
    lines = [line for h in hunks for line in h["lines"]]
    return {
        "path": edit.new_path or edit.old_path or "",
        "old_path": edit.old_path,
        "new_path": edit.new_path,
        "change": _CHANGE[edit.kind],
        "added": sum(1 for line in lines if line["kind"] == "added"),
        "removed": sum(1 for line in lines if line["kind"] == "removed"),
        "hunks": hunks,
    }


def _hunk(hunk: Hunk) -> dict[str, Any]:
    old = hunk.old_start if hunk.old_start is not None else 1
    new = hunk.new_start if hunk.new_start is not None else 1
    header = f"@@ -{old},{len(hunk.old_lines)} +{new},{len(hunk.new_lines)} @@"
    rows = []
    for line in hunk.lines:
        rows.append(
            {
                "kind": _KIND[line.op],
                "old_line": None if line.op == "+" else old,
                "new_line": None if line.op == "-" else new,
                "text": line.text,
            }
        )
        old += line.op != "+"
        new += line.op != "-"
    return {"header": header, "lines": rows}


def _answering_attempt(lineage: dict[str, Any]) -> dict[str, Any]:
    """The attempt whose answer was kept (the last valid one), else the last one."""
    attempts = [a for a in lineage.get("attempts") or [] if isinstance(a, dict)]
    valid = [a for a in attempts if a.get("ok")]
    return (valid or attempts or [{}])[-1]


def check_view(lineage: dict[str, Any], key: bytes) -> dict[str, Any] | None:
    """The check of the reviewed answer (or of the answering attempt), output bounded."""
    check = (lineage.get("review") or {}).get("check") or _answering_attempt(lineage).get("check")
    if not isinstance(check, dict) or "state" not in check:
        return None
    view = {name: check.get(name) for name in _CHECK_FIELDS}
    view["command"] = str(view["command"] or "")
    view["detail"] = str(view["detail"] or "")
    view["timed_out"] = bool(view["timed_out"])
    view["output_tail"] = str(view["output_tail"] or "")[-MAX_CHECK_OUTPUT_CHARS:]
    return dict(redacted(view, key))


def model_card(tenant: str, lineage: dict[str, Any]) -> str | None:
    """The API path of the card of the registry version that answered (None: not from the
    model registry)."""
    llm = _answering_attempt(lineage).get("llm") or {}
    path = card_path(llm.get("registry_version"))
    return f"{path}?tenant={tenant}" if path else None


#: The tenant roles that may decide: those granting what ``decideTask`` needs.
DECIDERS = sorted(
    str(r) for r in TENANT_ROLES if granted({r}) & app_roles(BY_ID["decideTask"].roles or ())
)


def approval_state(
    row: dict[str, Any],
    decision: ApprovalDecision | None,
    *,
    caller_roles: frozenset[Any],
    caller_identities: tuple[tuple[str, str], ...],
    allow_unlinked: bool,
) -> dict[str, Any]:
    """Who may decide, what was decided, and whether the caller may decide now (refused with
    the problem code ``decideTask`` would answer, checked in the same order)."""
    status = TaskStatus(row["status"])
    lineage = row.get("lineage") or {}
    if decision is not None:
        state = "approved" if decision.decision == "approve" else "rejected"
    elif status is TaskStatus.AWAITING_APPROVAL:
        state = "awaiting"
    elif (lineage.get("risk") or {}).get("approval_required"):
        state = "undecided"
    else:
        state = "not-requested"
    requester = TaskUnderDecision(row["id"], row["provider"], row["requester"], status)
    if not caller_roles & app_roles(BY_ID["decideTask"].roles or ()):
        refusal: str | None = "role-required"
    elif decision is not None:
        refusal = "already-decided"
    elif status is not TaskStatus.AWAITING_APPROVAL:
        refusal = "not-awaiting-approval"
    else:
        refusal = approver_refusal(
            requester.requester_identity, caller_identities, allow_unlinked=allow_unlinked
        )
    decisions = []
    if decision is not None:
        decisions.append(
            {
                "decision": decision.decision,
                "approver": decision.principal,
                "via": decision.via,
                "comment": decision.comment,
                "decided_at": decision.decided_at,
            }
        )
    return {
        "state": state,
        "deciders": DECIDERS,
        "requester": row["requester"],
        "unlinked_approvers": allow_unlinked,
        "decisions": decisions,
        "caller_may_decide": refusal is None,
        "caller_refusal": refusal,
    }
