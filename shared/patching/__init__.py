"""The patch engine: read LLM edits, apply them exactly or refuse them, and validate the result.

    edits = parse_edits(answer, EditFormat.AUTO)          # raises PatchRejected if none found
    outcome = apply_edits(snapshot, edits)                # ApplyResult | ApplyRefusal
    if outcome.ok:
        report = validate(outcome, policy, root=checkout, check=SandboxCheck(...))
    else:
        feedback = outcome.to_feedback()                  # for the next LLM attempt

Pure library: no I/O except ``SandboxCheck`` (the repository's check, through the ``Sandbox``
port), ``validate`` when given a root to inspect, and the command line (``python -m
shared.patching``).
"""

from shared.patching.apply import apply_edits
from shared.patching.check import CheckCommand, CheckRun, CheckState, SandboxCheck
from shared.patching.formats import FORMAT_INSTRUCTIONS, EditFormat, detect_format, parse_edits
from shared.patching.model import (
    ApplyRefusal,
    ApplyResult,
    Candidate,
    EditKind,
    FailureReason,
    FileChange,
    FileEdit,
    Hunk,
    HunkFailure,
    HunkLine,
)
from shared.patching.policy import DEFAULT_DENIED_GLOBS, PatchPolicy
from shared.patching.render import render_file_diff
from shared.patching.validate import ValidationResult, Violation, validate

__all__ = [
    "DEFAULT_DENIED_GLOBS",
    "FORMAT_INSTRUCTIONS",
    "ApplyRefusal",
    "ApplyResult",
    "Candidate",
    "CheckCommand",
    "CheckRun",
    "CheckState",
    "EditFormat",
    "EditKind",
    "FailureReason",
    "FileChange",
    "FileEdit",
    "Hunk",
    "HunkFailure",
    "HunkLine",
    "PatchPolicy",
    "SandboxCheck",
    "ValidationResult",
    "Violation",
    "apply_edits",
    "detect_format",
    "parse_edits",
    "render_file_diff",
    "validate",
]
