"""``llm_provider``: the provider a finished task's metrics name, read from its lineage, for a
fix (its last attempt's call) and for a review (the review call, ``review_llm``)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from shared.services.patch_flow.steps import llm_provider


@dataclass
class _Record:
    lineage: dict[str, Any]


class _Tasks:
    def __init__(self, lineage: dict[str, Any]) -> None:
        self._lineage = lineage

    @contextmanager
    def transaction(self, location: str):
        assert location == "loc-acme"
        yield object()

    def get(self, tx: object, task_id: str) -> _Record:
        assert task_id == "t1"
        return _Record(self._lineage)


class _Tenants:
    def locate(self, tenant: str) -> str:
        return f"loc-{tenant}"


class _Deps:
    def __init__(self, lineage: dict[str, Any]) -> None:
        self.tasks, self.tenants = _Tasks(lineage), _Tenants()


@pytest.mark.parametrize(
    ("lineage", "provider"),
    [
        (
            {"attempts": [{"llm": {"provider": "ollama"}}, {"llm": {"provider": "openai"}}]},
            "openai",
        ),
        ({"review_llm": {"provider": "anthropic", "scripted": False}}, "anthropic"),
        ({"code_review": {"head_sha": "h"}}, None),  # a review refused before the model answered
        ({}, None),
    ],
)
def test_the_provider_of_fix_and_review_tasks(
    lineage: dict[str, Any], provider: str | None
) -> None:
    assert llm_provider(_Deps(lineage), {"tenant": "acme", "id": "t1"}) == provider  # type: ignore[arg-type]
