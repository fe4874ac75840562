"""The evaluation suite on recorded answers (scripted provider): real project code with
injected bugs, each task through context, generation, the patch engine and the check."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.adapters.sandbox.local import LocalSandbox
from shared.config import Settings
from shared.domain.errors import ConfigurationError
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute
from shared.services.llm_hub.pricing import PriceTable
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.models.evaluation import Suite, evaluate
from shared.services.models.registration import spec_for
from tools.admin.models import SUITE_DIR

SUITE = Suite.load(SUITE_DIR)


def _run(recording: str):
    route = LlmRoute(ProviderKind.SCRIPTED, recording)
    providers = ConfiguredLlmProviders(Settings(llm_recordings_dir=SUITE_DIR / "recordings"))
    spec = spec_for(route, edit_format="udiff", prompts=PromptLibrary())
    provider = providers.for_route("", route)
    return evaluate(SUITE, provider, spec, PromptLibrary(), PriceTable(), sandbox=LocalSandbox())


def test_each_injected_bug_fails_its_named_tests(tmp_path: Path) -> None:
    for task in SUITE.tasks:
        tree = SUITE.inject(task, tmp_path / task.id)
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", task.fails],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 1, (task.id, run.stdout[-500:])
        assert "failed" in run.stdout


def test_recorded_answers_score_as_they_should() -> None:
    """One right answer, one that applies but fixes nothing, one with no diff at all."""
    result = _run("eval-mixed")
    assert (result.suite, result.suite_version, result.tasks) == ("pybugs", "1", 3)
    assert result.resolved == pytest.approx(1 / 3)
    assert result.applied == pytest.approx(2 / 3)
    assert result.well_formed == pytest.approx(2 / 3)
    assert result.tokens > 0 and result.cost_usd == Decimal(0)  # scripted answers cost nothing
    by_task = {d["task"]: d for d in result.details}
    assert by_task["inflection-dasherize"]["resolved"] is True
    ordinal = by_task["inflection-ordinal-13"]
    assert (ordinal["well_formed"], ordinal["applied"], ordinal["resolved"]) == (True, True, False)
    assert by_task["inflection-humanize-id"]["error"] == "no-edit-found"


def test_a_version_whose_template_changed_is_not_evaluated() -> None:
    route = LlmRoute(ProviderKind.SCRIPTED, "eval-mixed")
    spec = spec_for(route, edit_format="udiff", prompts=PromptLibrary())
    forged = type(spec)(**{**spec.__dict__, "prompt_hash": "sha256:" + "f" * 64})
    providers = ConfiguredLlmProviders(Settings(llm_recordings_dir=SUITE_DIR / "recordings"))
    with pytest.raises(ConfigurationError):
        provider = providers.for_route("", route)
        evaluate(SUITE, provider, forged, PromptLibrary(), PriceTable(), sandbox=LocalSandbox())
