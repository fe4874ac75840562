"""Reading what an orchestrator's ``handle`` returned (or raised).

``handle`` returns the orchestrator state JSON ``{isDone, schemaVersion, actions: [[...]], output,
customStatus}``. A failing orchestrator makes ``handle`` raise; the exception message is the error
followed by ``"\\n\\n$OutOfProcData$:"`` and the same state JSON, whose actions the host still
replays (fire-and-forget calls made before the failure are still sent). Only the replay schemas
V2/V3 (one flat action list) are accepted: devhost negotiates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"


class ProtocolError(Exception):
    """The orchestrator's answer is not valid out-of-proc protocol."""


@dataclass(frozen=True)
class OrchestratorOutput:
    is_done: bool
    actions: list[dict[str, Any]]
    output: Any
    error: str | None
    custom_status: Any
    has_custom_status: bool


def _from_state(state: dict[str, Any], error: str | None) -> OrchestratorOutput:
    groups = state.get("actions") or [[]]
    if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], list):
        raise ProtocolError(
            "orchestrator state must hold one flat action list (replay schema V2/V3)"
        )
    return OrchestratorOutput(
        is_done=bool(state.get("isDone")),
        actions=groups[0],
        output=state.get("output"),
        error=error if error is not None else state.get("error"),
        custom_status=state.get("customStatus"),
        has_custom_status="customStatus" in state,
    )


def parse_returned(value: Any) -> OrchestratorOutput:
    """The state ``handle`` returned (a JSON string)."""
    try:
        state = json.loads(value) if isinstance(value, str | bytes) else value
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"orchestrator returned invalid JSON: {exc.msg}") from exc
    if not isinstance(state, dict):
        raise ProtocolError("orchestrator returned no state object")
    return _from_state(state, None)


def parse_raised(exc: BaseException) -> OrchestratorOutput:
    """The state carried by the exception ``handle`` raised (or a bare failure)."""
    text = str(exc)
    message, marker, data = text.partition(OUT_OF_PROC_MARKER)
    if not marker:
        detail = text or type(exc).__name__
        return OrchestratorOutput(True, [], None, f"{type(exc).__name__}: {detail}", None, False)
    try:
        state = json.loads(data)
    except json.JSONDecodeError as exc2:
        raise ProtocolError(f"unreadable $OutOfProcData$: {exc2.msg}") from exc2
    return _from_state(state, state.get("error") or message)
