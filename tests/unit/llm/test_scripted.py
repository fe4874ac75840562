"""The scripted provider replays recordings; it never passes for a live model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.adapters.llm.scripted import Recording, ScriptedLlm
from shared.domain.errors import InvalidInput, LlmBadRequest
from shared.domain.llm import CompletionRequest, FinishReason, Message, ProviderKind, Role


def ask(template: str, text: str = "please") -> CompletionRequest:
    return CompletionRequest((Message(Role.USER, text),), "demo", template=template)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(
        "completions:\n"
        "  - template: patch_udiff\n    match: did not apply\n    text: second try\n"
        "  - template: patch_udiff\n    text: first try\n"
        "  - text: anything else\n    finish_reason: length\n"
    )
    return path


def test_replays_by_template_and_prompt_match(recording: Path) -> None:
    llm = ScriptedLlm(Recording.load(recording))
    first = llm.complete(ask("patch_udiff"))
    assert first.text == "first try" and first.finish_reason is FinishReason.STOP
    assert llm.complete(ask("patch_udiff", "hunk 1 did not apply")).text == "second try"
    assert llm.complete(ask("patch_udiff")).text == "first try"  # stateless: same answer again
    other = llm.complete(ask("review"))
    assert other.text == "anything else" and other.finish_reason is FinishReason.LENGTH


def test_says_what_it_is(recording: Path) -> None:
    llm = ScriptedLlm(Recording.load(recording))
    completion = llm.complete(ask("review"))
    assert llm.kind is ProviderKind.SCRIPTED and llm.endpoint == "scripted demo"
    assert completion.model == "scripted:demo"
    assert completion.model_version == llm.recording.digest
    assert llm.recording.digest.startswith("sha256:")
    assert completion.input_tokens == 2 and completion.latency_ms == 0


def test_no_fitting_completion_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "only.json"
    path.write_text(json.dumps([{"template": "review", "text": "ok"}]))
    with pytest.raises(LlmBadRequest, match="no completion for template 'patch_udiff'") as raised:
        ScriptedLlm(Recording.load(path)).complete(ask("patch_udiff"))
    assert raised.value.code == "recording-no-match"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.json", "{not json"),
        ("b.yaml", "a: [unclosed"),
        ("c.json", "[]"),
        ("d.json", '[{"template": "x"}]'),
        ("e.json", '[{"text": "x", "finish_reason": "bored"}]'),
    ],
)
def test_malformed_recordings_are_refused(tmp_path: Path, name: str, content: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(InvalidInput, match="recording"):
        Recording.load(tmp_path / name)


def test_replays_a_multi_step_tool_conversation_by_turn(tmp_path: Path) -> None:
    path = tmp_path / "tools.yaml"
    path.write_text(
        "completions:\n"
        "  - turn: 0\n    tool_calls: [{name: search_code, arguments: {query: parse}}]\n"
        "  - turn: 1\n    tool_calls:\n"
        "      - {name: read_file, arguments: {path: a.py}}\n"
        "      - {name: read_file, arguments: {path: b.py, start: 1, end: 9}}\n"
        "  - turn: 2\n    text: the edit\n"
    )
    llm = ScriptedLlm(Recording.load(path))
    first = llm.complete(ask("tools"))
    assert first.finish_reason is FinishReason.TOOL_CALLS and first.text == ""
    assert [(c.name, c.arguments) for c in first.tool_calls] == [
        ("search_code", {"query": "parse"})
    ]
    asked = (Message(Role.USER, "fix"), Message(Role.ASSISTANT, "", tool_calls=first.tool_calls))
    second = llm.complete(CompletionRequest(asked, "demo"))
    assert [c.arguments["path"] for c in second.tool_calls] == ["a.py", "b.py"]
    assert len({c.id for c in first.tool_calls + second.tool_calls}) == 3
    done = (*asked, Message(Role.ASSISTANT, "", tool_calls=second.tool_calls))
    last = llm.complete(CompletionRequest(done, "demo"))
    assert last.text == "the edit" and not last.tool_calls
    assert last.finish_reason is FinishReason.STOP


@pytest.mark.parametrize(
    "entry",
    [
        "{turn: one, text: x}",
        "{tool_calls: {name: read_file}}",
        "{tool_calls: [{arguments: {}}]}",
        "{tool_calls: [{name: read_file, arguments: [1]}]}",
    ],
)
def test_malformed_tool_steps_are_refused(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"completions:\n  - {entry}\n")
    with pytest.raises(InvalidInput):
        Recording.load(path)
