"""The patch flow's variables for the ``patch_<edit format>`` templates.

The flow gives the task (command, instruction, title, body, discussion), the context files as
``[{"path", "text"}]``, the previous attempt's feedback (empty on the first), that attempt's
answer (``previous_answer``, optional) and the attempt number; the templates want text, so files
become fenced blocks under their paths and feedback a section of its own, led by the previous
answer when there is one (absent on the first attempt).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.domain.errors import InvalidInput

PATCH_TEMPLATE = "patch_{edit_format}"


def _fence(text: str) -> str:
    """A backtick fence longer than any fence inside ``text``."""
    longest = max((len(run) for run in re.findall(r"^\s*(`{3,})", text, re.MULTILINE)), default=0)
    return "`" * max(3, longest + 1)


def render_files(files: Any) -> str:
    if not isinstance(files, list) or not all(
        isinstance(f, Mapping) and isinstance(f.get("path"), str) and isinstance(f.get("text"), str)
        for f in files
    ):
        raise InvalidInput("patch variables: 'files' must be a list of {path, text}")
    if not files:
        return "(no files were selected)"
    blocks = []
    for f in files:
        fence = _fence(f["text"])
        blocks.append(f"### {f['path']}\n{fence}\n{f['text'].rstrip()}\n{fence}")
    return "\n\n".join(blocks)


def render_feedback(feedback: Any, previous_answer: Any = None) -> str:
    text = str(feedback or "").strip()
    if not text:
        return ""
    why = f"## Why your previous answer was not accepted\n\n{text}\n\nFix that in this answer."
    previous = str(previous_answer or "").strip()
    if not previous:
        return why
    fence = _fence(previous)
    return f"## Your previous answer\n\n{fence}\n{previous}\n{fence}\n\n{why}"


def patch_variables(variables: Mapping[str, Any]) -> dict[str, str]:
    rendered = {k: "" if v is None else str(v) for k, v in variables.items()}
    rendered["files"] = render_files(variables.get("files", []))
    rendered.pop("previous_answer", None)
    rendered["feedback"] = render_feedback(
        variables.get("feedback"), variables.get("previous_answer")
    )
    return rendered
