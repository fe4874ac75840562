"""The MLflow adapter on PostgreSQL: MLflow's own SQL store in a database of its own on the test
server, created as the provisioner, with artifacts in a folder."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from shared.adapters.registry.mlflow import MlflowModelRegistry
from shared.adapters.registry.store import ensure_registry_database
from shared.domain.errors import InvalidInput, NotFound
from shared.domain.llm import ProviderKind
from shared.domain.models import EvaluationResult, ModelSpec

SPEC = ModelSpec(
    provider=ProviderKind.OLLAMA,
    model="qwen2.5-coder:7b",
    model_version="sha256:abc123",
    prompt="patch_udiff.v1",
    prompt_hash="sha256:" + "0" * 64,
    edit_format="udiff",
    parameters={"temperature": 0.0, "max_tokens": 2048},
)


@pytest.fixture(scope="module")
def registry_url(admin_database_url: str, role_prefix: str) -> str:
    return ensure_registry_database(admin_database_url, role_prefix + "mlflow")


@pytest.fixture
def registry(registry_url: str, tmp_path: Path) -> MlflowModelRegistry:
    return MlflowModelRegistry(registry_url, artifact_location=tmp_path.as_uri())


def test_round_trip_on_postgresql(registry: MlflowModelRegistry) -> None:
    first = registry.register("rt-model", SPEC, description="first", created_by="alice")
    second = registry.register(
        "rt-model",
        ModelSpec(**{**SPEC.__dict__, "model": "other:1b"}),
        description="",
        created_by="bob",
    )
    assert (first.version, second.version) == (1, 2)
    assert registry.get("rt-model", 1).spec == SPEC
    assert registry.get("rt-model", 1).created_by == "alice"
    assert [v.version for v in registry.versions("rt-model")] == [1, 2]
    assert "rt-model" in registry.names() and registry.names() == sorted(registry.names())

    registry.set_alias("rt-model", "champion", 1)
    registry.set_alias("rt-model", "champion", 2, tenant="acme")
    assert registry.resolve("rt-model", "champion").version == 1
    assert registry.resolve("rt-model", "champion", "acme").version == 2
    assert registry.resolve("rt-model", "champion", "globex").version == 1  # global fallback
    assert registry.get("rt-model", 2).tenant_aliases == (("acme", "champion"),)
    assert registry.get("rt-model", 1).aliases == ("champion",)
    with pytest.raises(NotFound):
        registry.resolve("rt-model", "challenger")
    with pytest.raises(InvalidInput):
        registry.set_alias("rt-model", "latest", 1)

    result = EvaluationResult(
        suite="pybugs",
        suite_version="1",
        tasks=3,
        resolved=2 / 3,
        applied=1.0,
        well_formed=1.0,
        tokens=1234,
        cost_usd=Decimal("0.0123"),
        latency_ms=456,
        details=({"task": "t1", "resolved": True},),
    )
    logged = registry.log_evaluation("rt-model", 1, result)
    assert logged.run_id
    [read] = registry.evaluations("rt-model", 1)
    assert (read.run_id, read.tasks, read.tokens, read.latency_ms) == (logged.run_id, 3, 1234, 456)
    assert read.resolved == pytest.approx(2 / 3)
    assert registry.evaluations("rt-model", 2) == []
    assert registry.get("rt-model", 1).tags["evaluation.last_run"] == logged.run_id


def test_unknown_versions_are_not_found(registry: MlflowModelRegistry) -> None:
    with pytest.raises(NotFound):
        registry.get("no-such-model", 1)
    assert registry.versions("no-such-model") == []


def test_the_app_login_cannot_reach_the_registry_database(
    registry_url: str, database_url: str, role_prefix: str
) -> None:
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(psycopg.conninfo.make_conninfo(database_url, dbname=role_prefix + "mlflow"))
