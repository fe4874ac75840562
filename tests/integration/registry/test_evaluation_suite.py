"""The evaluation suite on recorded answers (scripted provider): real project code with
injected bugs, each task through context, generation, the patch engine and the check."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.adapters.sandbox.local import LocalSandbox
from shared.config import Settings
from shared.domain.errors import ConfigurationError
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute
from shared.patching.check import SandboxCheck
from shared.services.llm_hub.pricing import PriceTable
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.models.evaluation import EVAL_TENANT, Suite, evaluate, with_test_deps
from shared.services.models.registration import spec_for
from tools.admin.models import SUITE_DIR

SUITE = Suite.load(SUITE_DIR)


def _run(recording: str):
    route = LlmRoute(ProviderKind.SCRIPTED, recording)
    providers = ConfiguredLlmProviders(Settings(llm_recordings_dir=SUITE_DIR / "recordings"))
    spec = spec_for(route, edit_format="udiff", prompts=PromptLibrary())
    provider = providers.for_route("", route)
    return evaluate(SUITE, provider, spec, PromptLibrary(), PriceTable(), sandbox=LocalSandbox())


def _failures(project: str, tree: Path) -> set[str] | None:
    """The names of the tests that fail when the project's whole test file runs in the sandbox
    the suite uses (``None`` when it passes): its own check, without ``-x``, listing failures."""
    command = SUITE.check(next(t for t in SUITE.tasks if t.project == project))
    argv = (*(a for a in command.argv if a != "-x"), "--tb=no", "-rf")
    with_test_deps(tree)
    run = SandboxCheck(LocalSandbox(), EVAL_TENANT, replace(command, argv=argv), tree)({})
    if run.passed:
        return None
    assert run.run is not None and run.run.exit_code == 1, run.to_dict()
    return set(re.findall(r"^FAILED \S+::(\w+)", run.run.output_tail, re.MULTILINE))


def test_each_project_passes_its_tests_as_shipped(tmp_path: Path) -> None:
    """Only the files ``kept`` from the sdist are in the repository, its licence among them."""
    projects = json.loads((SUITE_DIR / "suite.json").read_text(encoding="utf-8"))["projects"]
    assert set(projects) == {"inflection-0.5.1", "hashids-1.3.1", "ordered-set-4.1.0"}
    for project, about in projects.items():
        root = SUITE.root / "projects" / project
        found = (p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        files = {p.relative_to(root).as_posix() for p in found}
        assert files == set(about["kept"]) and about["licence"].startswith("MIT"), project
        assert any("LICENSE" in name for name in files), project
    for project in SUITE.checks:
        tree = tmp_path / project
        shutil.copytree(SUITE.root / "projects" / project, tree)
        assert _failures(project, tree) is None, project


def test_each_injected_bug_fails_exactly_its_named_tests(tmp_path: Path) -> None:
    for task in SUITE.tasks:
        tree = SUITE.inject(task, tmp_path / task.id)
        assert _failures(task.project, tree) == set(task.fails.split(" or ")), task.id


def test_recorded_answers_score_as_they_should() -> None:
    """Right answers, diffs that apply but fix nothing, diffs that do not apply, prose."""
    result = _run("eval-mixed")
    assert (result.suite, result.suite_version, result.tasks) == ("pybugs", "2", 12)
    assert result.resolved == pytest.approx(6 / 12)
    assert result.applied == pytest.approx(8 / 12)
    assert result.well_formed == pytest.approx(10 / 12)
    assert result.tokens > 0 and result.cost_usd == Decimal(0)  # scripted answers cost nothing
    outcomes = {d["task"]: (d["well_formed"], d["applied"], d["resolved"]) for d in result.details}
    assert outcomes == {
        "inflection-dasherize": (True, True, True),
        "inflection-ordinal-13": (True, True, False),
        "inflection-humanize-id": (False, False, False),
        "hashids-decode-non-string": (True, True, True),
        "hashids-decode-hex-prefix": (True, False, False),
        "hashids-alphabet-sixteen": (True, True, True),
        "hashids-min-length-centre": (True, True, False),
        "ordered-set-pop-last": (True, True, True),
        "ordered-set-issubset-equal": (True, True, True),
        "ordered-set-index-tuple": (False, False, False),
        "ordered-set-discard-reindex": (True, False, False),
        "ordered-set-symmetric-difference-order": (True, True, True),
    }
    errors = {d["task"]: d["error"] for d in result.details if d["error"]}
    assert errors == {
        "inflection-humanize-id": "no-edit-found",
        "ordered-set-index-tuple": "no-edit-found",
        "hashids-decode-hex-prefix": "edit-not-applied",
        "ordered-set-discard-reindex": "edit-not-applied",
    }


def test_a_version_whose_template_changed_is_not_evaluated() -> None:
    route = LlmRoute(ProviderKind.SCRIPTED, "eval-mixed")
    spec = spec_for(route, edit_format="udiff", prompts=PromptLibrary())
    forged = type(spec)(**{**spec.__dict__, "prompt_hash": "sha256:" + "f" * 64})
    providers = ConfiguredLlmProviders(Settings(llm_recordings_dir=SUITE_DIR / "recordings"))
    with pytest.raises(ConfigurationError):
        provider = providers.for_route("", route)
        evaluate(SUITE, provider, forged, PromptLibrary(), PriceTable(), sandbox=LocalSandbox())
