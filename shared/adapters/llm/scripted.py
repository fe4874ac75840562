"""The scripted provider: replays recorded completions, for tests and the offline demo.

It is never a silent stand-in for a model: its kind is ``scripted``, the hub flags every result
and lineage row it produces, and its model is named ``scripted:<recording>``.

A recording is a JSON or YAML file: a list of completions, or ``{"completions": [...]}``. Each has
``text`` and optionally ``template`` (the prompt template name it answers), ``match`` (a substring
the prompt must contain) and ``finish_reason``. A request gets the first completion, in file
order, whose ``template`` and ``match`` fit it; when none fits it fails with ``LlmBadRequest``
(``recording-no-match``). A multi-step tool conversation records ``tool_calls`` (a list of
``{name, arguments}``; ``text`` may then be empty) and ``turn``: how many assistant turns the
request already holds (0 for the first answer), so that each step of the loop gets its own.
Replay is stateless, so it gives the same answer in any process and
on any retry: a task's later attempts get other answers by matching the feedback in their prompt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.domain.errors import InvalidInput, LlmBadRequest
from shared.domain.llm import (
    Completion,
    CompletionRequest,
    FinishReason,
    ProviderKind,
    Role,
    estimate_tokens,
)
from shared.domain.llm_tools import ToolCall
from shared.ports.llm import LlmProvider


@dataclass(frozen=True)
class RecordedCompletion:
    text: str
    template: str | None = None
    match: str | None = None
    finish_reason: FinishReason = FinishReason.STOP
    tool_calls: tuple[ToolCall, ...] = ()
    turn: int | None = None

    def fits(self, request: CompletionRequest) -> bool:
        if self.template is not None and self.template != request.template:
            return False
        if self.turn is not None and self.turn != sum(
            m.role is Role.ASSISTANT for m in request.messages
        ):
            return False
        return self.match is None or any(self.match in m.content for m in request.messages)


@dataclass(frozen=True)
class Recording:
    """Recorded completions; ``digest`` (SHA-256 of the file) pins them in lineage."""

    name: str
    completions: tuple[RecordedCompletion, ...]
    digest: str

    @classmethod
    def load(cls, path: Path) -> Recording:
        """Read a ``.json``, ``.yaml`` or ``.yml`` recording; ``InvalidInput`` if malformed."""
        raw = Path(path).read_bytes()
        if path.suffix in (".yaml", ".yml"):
            import yaml

            try:
                document = yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                raise InvalidInput(f"recording {path.name}: not valid YAML: {exc}") from exc
        else:
            try:
                document = json.loads(raw)
            except ValueError as exc:
                raise InvalidInput(f"recording {path.name}: not valid JSON: {exc}") from exc
        return cls.parse(path.stem, document, "sha256:" + hashlib.sha256(raw).hexdigest())

    @classmethod
    def parse(cls, name: str, document: Any, digest: str) -> Recording:
        entries = document.get("completions") if isinstance(document, dict) else document
        if not isinstance(entries, list) or not entries:
            raise InvalidInput(f"recording {name}: expected a non-empty list of completions")
        completions = []
        for index, recorded in enumerate(entries):
            entry = (
                {"text": "", **recorded}
                if isinstance(recorded, dict) and recorded.get("tool_calls")
                else recorded
            )
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                raise InvalidInput(f"recording {name}: completion {index} has no text")
            calls = entry.get("tool_calls") or []
            turn = entry.get("turn")
            if not isinstance(calls, list) or not (turn is None or isinstance(turn, int)):
                raise InvalidInput(f"recording {name}: completion {index}: bad tool_calls/turn")
            try:
                tool_calls = tuple(
                    ToolCall.from_dict({"id": f"call_{index}_{n}", **call})
                    for n, call in enumerate(calls)
                )
                default_finish = "tool_calls" if tool_calls else "stop"
                completions.append(
                    RecordedCompletion(
                        text=entry["text"],
                        template=entry.get("template"),
                        match=entry.get("match"),
                        finish_reason=FinishReason(entry.get("finish_reason", default_finish)),
                        tool_calls=tool_calls,
                        turn=turn,
                    )
                )
            except ValueError as exc:
                raise InvalidInput(f"recording {name}: completion {index}: {exc}") from exc
        return cls(name, tuple(completions), digest)


class ScriptedLlm(LlmProvider):
    """Replays one recording."""

    kind = ProviderKind.SCRIPTED

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.endpoint = f"{self.kind} {recording.name}"

    def sent_parameters(self, request: CompletionRequest) -> dict[str, Any]:
        return {}  # nothing is sent anywhere: the answer is read from the recording

    def complete(self, request: CompletionRequest) -> Completion:
        entry = next((e for e in self.recording.completions if e.fits(request)), None)
        if entry is None:
            raise LlmBadRequest(
                f"recording {self.recording.name!r} has no completion for template "
                f"{request.template or '(none)'!r} that fits this prompt",
                code="recording-no-match",
            )
        return Completion(
            text=entry.text,
            model=f"scripted:{self.recording.name}",
            input_tokens=estimate_tokens(request.prompt_chars),
            output_tokens=estimate_tokens(len(entry.text)),
            latency_ms=0,
            finish_reason=entry.finish_reason,
            model_version=self.recording.digest,
            tool_calls=entry.tool_calls,
        )
