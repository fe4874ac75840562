"""The offline evaluation of a model version on bug-fix tasks from real projects.

A suite (``suite.json`` beside the projects it uses) lists tasks: a project copied from its
PyPI sdist with its own tests, a bug injected by an exact search/replace that makes named tests
fail (the SWE-smith approach), and the issue a user would write. Each task goes through the
patch flow's own steps: context (``rank_candidates``/``select_context``), the version's pinned
prompt template, one call to the version's provider, the patch engine (``parse_edits``,
``apply_edits``), and the project's tests in the ``Sandbox`` on a scratch copy (``SandboxCheck``,
as the patch flow runs checks). The sandbox's toolchain has no pytest, so the host's pytest and
its dependencies are copied into the scratch copy (``.eval-deps``) and loaded from there. A task is
``well_formed`` when the answer parses as the version's edit format, ``applied`` when the edits
apply, ``resolved`` when the project's tests then pass.

The provider is called directly, not through the hub: the suite is public code (nothing to
redact) and no tenant's budget or lineage should carry an evaluation. Usage is priced with the
hub's price table; ``latency_ms`` is the mean model latency per task.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.domain.errors import ConfigurationError, InvalidInput, LlmError, PatchRejected
from shared.domain.llm import CompletionRequest
from shared.domain.models import EvaluationResult, ModelSpec
from shared.domain.scm import FileContent, ReadLimits, TreeEntry
from shared.patching.apply import apply_edits
from shared.patching.check import CheckCommand, SandboxCheck
from shared.patching.formats import parse_edits
from shared.patching.model import ApplyResult
from shared.ports.llm import LlmProvider
from shared.ports.sandbox import Sandbox
from shared.services.llm_hub.patch_prompts import patch_variables
from shared.services.llm_hub.pricing import PriceTable
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.patch_flow.context import rank_candidates, select_context

CONTEXT_BUDGET_TOKENS = 8000
#: The interpreter inside the sandbox (its read-only toolchain) and the test runner it gets.
SANDBOX_PYTHON = "/usr/bin/python3"
TEST_DEPS = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "py")
_BOOT = (
    "import sys; sys.path.insert(0, '.eval-deps'); import pytest; "
    "sys.exit(pytest.main(sys.argv[1:]))"
)
EVAL_TENANT = "model-eval"


@dataclass(frozen=True)
class SuiteTask:
    id: str
    project: str
    file: str
    bug: dict[str, str]
    fails: str
    title: str
    instruction: str


@dataclass(frozen=True)
class Suite:
    name: str
    version: str
    root: Path
    checks: dict[str, list[str]]
    tasks: tuple[SuiteTask, ...]

    @classmethod
    def load(cls, root: Path) -> Suite:
        try:
            data = json.loads((root / "suite.json").read_text(encoding="utf-8"))
            return cls(
                name=data["name"],
                version=data["version"],
                root=root,
                checks={k: list(p["check"]) for k, p in data["projects"].items()},
                tasks=tuple(SuiteTask(**t) for t in data["tasks"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"invalid evaluation suite at {root}: {exc}") from exc

    def inject(self, task: SuiteTask, into: Path) -> Path:
        """A copy of the task's project under ``into`` with the bug injected."""
        tree = into / task.project
        shutil.copytree(self.root / "projects" / task.project, tree)
        target = tree / task.file
        text = target.read_text(encoding="utf-8")
        if text.count(task.bug["search"]) != 1:
            raise InvalidInput(f"task {task.id}: the bug's search text must occur exactly once")
        target.write_text(text.replace(task.bug["search"], task.bug["replace"]), encoding="utf-8")
        return tree

    def check(self, task: SuiteTask) -> CheckCommand:
        """The project's pytest arguments, run by the sandbox's Python with pytest from
        ``.eval-deps`` (see ``with_test_deps``)."""
        return CheckCommand((SANDBOX_PYTHON, "-c", _BOOT, *self.checks[task.project]), 120.0)


def with_test_deps(tree: Path) -> None:
    """Copy the host's pytest and its dependencies into ``tree/.eval-deps``."""
    deps = tree / ".eval-deps"
    deps.mkdir()
    for name in TEST_DEPS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, deps / name, ignore=shutil.ignore_patterns("*.pyc"))
        else:
            shutil.copy2(origin, deps / origin.name)


def _files(tree: Path) -> dict[str, str]:
    return {
        p.relative_to(tree).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(tree.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _context(files: dict[str, str], text: str) -> list[dict[str, str]]:
    def sha(body: str) -> str:
        return hashlib.sha256(body.encode()).hexdigest()

    entries = [TreeEntry(path, len(body.encode()), sha(body)) for path, body in files.items()]

    def read(path: str) -> FileContent:
        body = files[path].encode()
        return FileContent.from_bytes(path, sha(files[path]), body, ReadLimits())

    chosen = select_context(rank_candidates(entries, text), read, text, CONTEXT_BUDGET_TOKENS)
    return [{"path": f.path, "text": f.text} for f in chosen]


def solve(
    suite: Suite,
    task: SuiteTask,
    provider: LlmProvider,
    spec: ModelSpec,
    prompts: PromptLibrary,
    *,
    sandbox: Sandbox,
) -> dict[str, Any]:
    """One task through context, generation, the patch engine and the check."""
    prompt = prompts.get(spec.prompt)
    if prompt.ref.content_hash != spec.prompt_hash:
        raise ConfigurationError(f"template {spec.prompt} differs from the version's pinned hash")
    outcome: dict[str, Any] = {"task": task.id, "well_formed": False, "applied": False}
    outcome |= {"resolved": False, "tokens": 0, "latency_ms": 0, "error": None}
    with tempfile.TemporaryDirectory(prefix="model-eval-") as scratch:
        tree = suite.inject(task, Path(scratch))
        files = _files(tree)
        text = f"{task.title}\n{task.instruction}"
        variables = {
            "command": "fix",
            "instruction": task.instruction,
            "title": task.title,
            "body": "",
            "discussion": "",
            "files": _context(files, text),
            "feedback": "",
            "attempt": 1,
        }
        request = CompletionRequest(
            messages=prompt.render(patch_variables(variables)),
            model=spec.model,
            temperature=float(spec.parameters.get("temperature", 0.0)),
            max_tokens=int(spec.parameters.get("max_tokens", 4096)),
            template=prompt.ref.name,
        )
        try:
            completion = provider.complete(request)
        except LlmError as exc:
            return outcome | {"error": exc.code}
        outcome |= {
            "tokens": completion.input_tokens + completion.output_tokens,
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "latency_ms": completion.latency_ms,
        }
        try:
            edits = parse_edits(completion.text, spec.edit_format)
        except PatchRejected as exc:
            return outcome | {"error": exc.code}
        applied = apply_edits(files, edits)
        if not isinstance(applied, ApplyResult):
            return outcome | {"well_formed": True, "error": "edit-not-applied"}
        with_test_deps(tree)
        check = SandboxCheck(sandbox, EVAL_TENANT, suite.check(task), tree)
        run = check(applied.files)
        return outcome | {"well_formed": True, "applied": True, "resolved": run.passed}


def evaluate(
    suite: Suite,
    provider: LlmProvider,
    spec: ModelSpec,
    prompts: PromptLibrary,
    prices: PriceTable,
    *,
    sandbox: Sandbox,
) -> EvaluationResult:
    """Every task of ``suite`` solved by ``spec`` on ``provider``; the rates and totals."""
    details = [solve(suite, t, provider, spec, prompts, sandbox=sandbox) for t in suite.tasks]
    count = max(1, len(details))
    cost = sum(
        (
            prices.cost(
                str(spec.provider), spec.model, d.get("input_tokens", 0), d.get("output_tokens", 0)
            )
            for d in details
        ),
        Decimal(0),
    )
    return EvaluationResult(
        suite=suite.name,
        suite_version=suite.version,
        tasks=len(details),
        resolved=sum(d["resolved"] for d in details) / count,
        applied=sum(d["applied"] for d in details) / count,
        well_formed=sum(d["well_formed"] for d in details) / count,
        tokens=sum(d["tokens"] for d in details),
        cost_usd=cost,
        latency_ms=round(sum(d["latency_ms"] for d in details) / count),
        details=tuple(details),
    )
