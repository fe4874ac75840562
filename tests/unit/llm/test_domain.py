from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shared.domain.errors import InvalidInput
from shared.domain.llm import (
    Completion,
    CompletionRequest,
    FinishReason,
    Message,
    ProviderKind,
    Role,
)
from shared.domain.llm_hub import EDIT_FORMATS, HubResult, LlmRoute, TemplateRef
from shared.domain.llm_tools import ToolCall, ToolSpec
from shared.patching.formats import EditFormat


def test_edit_formats_are_the_patch_parsers_formats() -> None:
    assert set(EDIT_FORMATS) == {f.value for f in EditFormat} - {"auto"}


def test_routes_round_trip_through_tenant_settings() -> None:
    route = LlmRoute(
        ProviderKind.AZURE_OPENAI,
        "gpt4o-prod",
        endpoint="https://x.openai.azure.com",
        timeout_s=30,
        edit_format="udiff",
        api_version="2024-10-21",
    )
    assert LlmRoute.from_dict(json.loads(json.dumps(route.to_dict()))) == route
    assert LlmRoute.from_dict({"provider": "ollama", "model": "qwen2.5-coder:7b"}).timeout_s == 120


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"provider": "gpt", "model": "x"}, "provider must be one of"),
        ({"provider": "openai", "model": "x", "colour": 1}, "unknown LLM route field"),
        ({"provider": "openai", "model": "x", "edit_format": "patch"}, "edit_format"),
        ({"provider": "openai", "model": "x", "timeout_s": 0}, "timeout_s"),
        ({"provider": "openai", "model": "x", "timeout_s": "soon"}, "invalid LLM route"),
        ({"provider": "openai", "model": "a b"}, "invalid model"),
        ({"provider": "openai"}, "invalid LLM route"),
        ("openai", "must be an object"),
    ],
)
def test_bad_routes_are_refused_with_a_clear_message(data, message) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        LlmRoute.from_dict(data)
    assert raised.value.code == "invalid-llm-route"


def test_requests_validate_their_parameters() -> None:
    hello = (Message(Role.USER, "hi"),)
    with pytest.raises(InvalidInput):
        CompletionRequest((), "m")
    with pytest.raises(InvalidInput):
        CompletionRequest(hello, "m", max_tokens=0)
    with pytest.raises(InvalidInput):
        CompletionRequest(hello, "m", temperature=3)


def test_hub_result_summary_is_json() -> None:
    result = HubResult(
        completion=Completion("t", "gpt-4o-2024", 3, 4, 5, FinishReason.STOP, "fp_1"),
        route=LlmRoute(ProviderKind.OPENAI, "gpt-4o"),
        lineage_id="id",
        scripted=False,
        redactions=2,
        template=TemplateRef("review", 1, "sha256:x"),
        cost_usd=Decimal("0.000123"),
        edit_format=None,
        attempts=("openai/gpt-4o: ok",),
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["model"] == "gpt-4o-2024" and data["model_version"] == "fp_1"
    assert data["cost_usd"] == "0.000123" and data["template"]["hash"] == "sha256:x"


def test_tool_specs_and_calls_are_validated() -> None:
    assert ToolSpec("read_file", "Read.").parameters == {"type": "object"}
    for name in ("", "read file", "x" * 65):
        with pytest.raises(InvalidInput):
            ToolSpec(name, "bad name")
    with pytest.raises(InvalidInput):
        ToolSpec("read_file", "Read.", {"type": "array"})
    call = ToolCall.from_dict({"id": "c1", "name": "list_dir", "arguments": {"path": "src"}})
    assert ToolCall.from_dict(call.to_dict()) == call
    for bad in ({"arguments": {}}, {"name": "x", "arguments": ["a"]}, "list_dir"):
        with pytest.raises(InvalidInput):
            ToolCall.from_dict(bad)
