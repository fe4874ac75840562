"""The tools a model may call before it edits, run against the task's checkout.

``search_code`` ranks symbol chunks with the retrieval index, ``read_file`` and ``list_dir`` read
the checkout, ``find_symbol`` asks the index's symbol graph where a name is defined, and
``run_check`` runs the repository's check (its setup, then its check command) on the unchanged
checkout exactly as validation does: through the ``Sandbox`` port, never any other way (without
a sandbox or a check command the tool says the check is unchecked, and why).

Everything a tool returns is untrusted text headed for a prompt, and everything the model asks
is untrusted input. So: paths must be repository-relative (no absolute paths, no ``..``, nothing
in ``.git``) and are resolved one component at a time without following symlinks, so nothing
outside the checkout is read or listed; every output is redacted with the tenant's key (as the
LLM hub redacts prompts) and cut to ``max_chars``. A call the tool cannot serve (unknown tool,
bad arguments, missing file) is an answer with ``ok=False`` for the model to read, not a
failure of the task.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.domain.llm import Message, Role
from shared.domain.llm_tools import ToolCall, ToolSpec
from shared.patching.paths import unsafe_reason
from shared.patching.validate import CheckRunner
from shared.patching.workspace import read_snapshot
from shared.policies.secrets import redact
from shared.retrieval.index import RepoIndex

_PATH = {"type": "string", "description": "repository-relative path, '/'-separated"}
TOOL_SPECS = (
    ToolSpec(
        "search_code",
        "Rank the repository's functions and classes for a query; answers path:lines and names.",
        {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    ),
    ToolSpec(
        "read_file",
        "Read lines start..end (1-based, inclusive) of a file, numbered.",
        {
            "type": "object",
            "properties": {
                "path": _PATH,
                "start": {"type": "integer", "minimum": 1},
                "end": {"type": "integer", "minimum": 1},
            },
            "required": ["path"],
        },
    ),
    ToolSpec(
        "list_dir",
        "List a directory of the repository ('' for the root); directories end with '/'.",
        {"type": "object", "properties": {"path": _PATH}},
    ),
    ToolSpec(
        "find_symbol",
        "Where a function, class or method is defined: path:lines per definition.",
        {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    ),
    ToolSpec(
        "run_check",
        "Run the repository's check command (its tests) on the unchanged checkout.",
        {"type": "object", "properties": {}},
    ),
)
READ_LINES = 200
SEARCH_HITS = 8
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class ToolResult:
    """What a call gave: the redacted, truncated ``output`` the model will read."""

    call_id: str
    name: str
    ok: bool
    output: str
    redactions: int = 0
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "name": self.name,
            "ok": self.ok,
            "output": self.output,
            "redactions": self.redactions,
            "truncated": self.truncated,
        }


def history_messages(history: Sequence[Mapping[str, Any]]) -> tuple[Message, ...]:
    """The attempt's tool turns, as the flow carries them (``{"role": "assistant", "content",
    "tool_calls"}`` and ``{"role": "tool", "content", "tool_call_id", "tool_name"}``)."""
    return tuple(
        Message(
            Role(turn["role"]),
            str(turn.get("content") or ""),
            tool_calls=tuple(ToolCall.from_dict(c) for c in turn.get("tool_calls") or ()),
            tool_call_id=turn.get("tool_call_id"),
            tool_name=turn.get("tool_name"),
        )
        for turn in history
    )


class _Refused(Exception):
    """A call the tool answers with ``ok=False`` and this message."""


@dataclass
class CheckoutTools:
    """The tools on one checkout. ``check`` runs the repository's check on it (the runner
    validation uses); ``redaction_key`` is the tenant's key for secret placeholders."""

    root: Path
    index: RepoIndex
    check: CheckRunner
    redaction_key: bytes
    max_chars: int = 8000

    def run(self, call: ToolCall) -> ToolResult:
        """Run ``call``; never raises for anything the model sent."""
        handler = getattr(self, f"_{call.name}", None)
        if call.name not in {spec.name for spec in TOOL_SPECS} or handler is None:
            return self._result(call, False, f"unknown tool {call.name!r}")
        try:
            output = handler(**call.arguments)
        except TypeError:
            return self._result(call, False, f"bad arguments for {call.name}: {call.arguments}")
        except _Refused as refusal:
            return self._result(call, False, str(refusal))
        return self._result(call, True, output)

    def _result(self, call: ToolCall, ok: bool, text: str) -> ToolResult:
        redacted = redact(text, key=self.redaction_key)
        output, truncated = redacted.text, len(redacted.text) > self.max_chars
        if truncated:
            output = output[: self.max_chars] + f"\n[... cut at {self.max_chars} characters]"
        return ToolResult(call.id, call.name, ok, output, redacted.count, truncated)

    def _search_code(self, query: str) -> str:
        hits = self.index.rank_chunks(_text(query, "query"), k=SEARCH_HITS)
        lines = []
        for hit in hits:
            chunk = self.index.chunk(hit.id)
            name = f"  {chunk.kind} {chunk.name}" if chunk is not None and chunk.name else ""
            lines.append(f"{hit.id}{name}")
        return "\n".join(lines) or "no matches"

    def _read_file(self, path: str, start: int = 1, end: int | None = None) -> str:
        relative = _safe(path)
        if not isinstance(start, int) or start < 1 or not (end is None or isinstance(end, int)):
            raise _Refused("start and end must be positive line numbers")
        last = start + READ_LINES - 1 if end is None else min(end, start + READ_LINES - 1)
        text = read_snapshot(self.root, [relative]).get(relative)
        if text is None:
            raise _Refused(f"{relative}: no such text file in the repository")
        lines = text.splitlines()
        if last < start or start > max(len(lines), 1):
            raise _Refused(f"{relative} has {len(lines)} lines; lines {start}..{last} are empty")
        width = len(str(min(last, len(lines))))
        shown = lines[start - 1 : last]
        return "\n".join(f"{start + n:>{width}}  {line}" for n, line in enumerate(shown))

    def _list_dir(self, path: str = "") -> str:
        relative = _safe(path) if path not in ("", ".") else ""
        fd = _open_directory(self.root, relative)
        try:
            names = []
            for name in sorted(os.listdir(fd)):
                if name == ".git":
                    continue
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
                suffix = "/" if stat.S_ISDIR(mode) else "@" if stat.S_ISLNK(mode) else ""
                names.append(name + suffix)
        finally:
            os.close(fd)
        return "\n".join(names) or "(empty)"

    def _find_symbol(self, name: str) -> str:
        wanted = _text(name, "name")
        short = wanted.rsplit(".", 1)[-1].lower()
        found = [
            f"{chunk.key}  {chunk.kind} {chunk.name}"
            for path in sorted(self.index.graph.defining(short))
            for chunk in self.index.chunks.get(path, [])
            if chunk.name and chunk.name.lower().rsplit(".", 1)[-1] == short
        ]
        return "\n".join(found) or f"no definition of {wanted!r}"

    def _run_check(self) -> str:
        run = self.check({})
        head = f"{run.state.value}: {run.command}" + (f" ({run.reason})" if run.reason else "")
        if run.detail:
            head += f"\n{run.detail}"
        if run.run is None:
            return head
        verdict = "timed out" if run.run.timed_out else f"exit code {run.run.exit_code}"
        return f"{head}\n{run.phase} {verdict}\n{run.run.output_tail}"


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Refused(f"{name} must be a non-empty string")
    return value


def _safe(path: object) -> str:
    """``path`` when it is a safe repository-relative path; ``_Refused`` otherwise."""
    if not isinstance(path, str):
        raise _Refused("path must be a string")
    relative = path.removeprefix("./").removesuffix("/")
    if (reason := unsafe_reason(relative)) is not None:
        raise _Refused(f"{path!r}: {reason}")
    return relative


def _open_directory(root: Path, relative: str) -> int:
    """A descriptor of ``root/relative``, each component opened without following symlinks."""
    fd = os.open(root, _DIRECTORY)
    for part in relative.split("/") if relative else ():
        try:
            child = os.open(part, _DIRECTORY, dir_fd=fd)
        except OSError as exc:
            os.close(fd)
            raise _Refused(f"{relative}: no such directory in the repository") from exc
        os.close(fd)
        fd = child
    return fd
