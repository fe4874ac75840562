"""Routes that name the model registry: the hub resolves the alias for the tenant and the
lineage on PostgreSQL records which registry version answered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.adapters.llm.postgres import PostgresCircuitStore
from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.config import Settings
from shared.domain.errors import InvalidInput
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute
from shared.domain.models import CHAMPION, PATCH_MODEL
from shared.ports.registry import FakeModelRegistry
from shared.services.llm_hub import LlmHub
from shared.services.llm_hub.breaker import BreakerPolicy, CircuitBreaker
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.models.registration import spec_for
from shared.services.models.routing import ModelRoutes
from tests.integration.llm.conftest import RealHub

ANSWER = "```diff\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n```\n"
FILES = [{"path": "app.py", "text": "x = 1\n"}]


def _recording(directory: Path, name: str, text: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps([{"template": "patch_udiff", "text": text}]))


@pytest.fixture
def routed(real_hub: RealHub, db, tmp_path: Path) -> tuple[LlmHub, FakeModelRegistry, RealHub]:
    recordings = tmp_path / "recordings"
    _recording(recordings, "global-champ", ANSWER)
    _recording(recordings, "tenant-champ", ANSWER.replace("x = 2", "x = 3"))
    registry = FakeModelRegistry()
    for name in ("global-champ", "tenant-champ"):
        route = LlmRoute(ProviderKind.SCRIPTED, name)
        spec = spec_for(route, edit_format="udiff", prompts=PromptLibrary())
        registry.register(PATCH_MODEL, spec, description="", created_by="test")
    registry.set_alias(PATCH_MODEL, CHAMPION, 1)
    hub = LlmHub(
        providers=ConfiguredLlmProviders(Settings(data_dir=tmp_path), real_hub.secrets),
        tenants=real_hub.hub._tenants,
        breaker=CircuitBreaker(PostgresCircuitStore(db), BreakerPolicy()),
        ledger=real_hub.ledger,
        calls=real_hub.calls,
        keys=real_hub.keys,
        models=ModelRoutes(registry, ttl_s=0),
    )
    return hub, registry, real_hub


def _generate(hub: LlmHub, tenant: str, task: str) -> dict:
    return hub.generate_patch(
        tenant=tenant,
        task_id=task,
        edit_format="udiff",
        routes=["models:/patch-generator@champion"],
        variables={
            "command": "fix",
            "instruction": "bump x",
            "title": "x",
            "body": "",
            "discussion": "",
            "files": FILES,
            "feedback": "",
            "attempt": 1,
        },
    )


def test_a_task_routed_through_the_alias_records_the_version_in_lineage(routed) -> None:
    hub, _, real = routed
    result = _generate(hub, real.tenant, "task-alias")

    assert result["llm"]["registry_version"] == "models:/patch-generator/1"
    assert result["llm"]["model_card"] == "/api/models/patch-generator/versions/1/card"
    assert "x = 2" in result["answer"]
    (call,) = real.calls.for_task(real.tenant, "task-alias")
    assert call.parameters["registry_version"] == "models:/patch-generator/1"
    assert call.model == "global-champ"
    assert (call.template.name, call.template.version) == ("patch_udiff", 1)


def test_a_tenant_alias_wins_for_that_tenant_only(routed, new_tenant) -> None:
    hub, registry, real = routed
    registry.set_alias(PATCH_MODEL, CHAMPION, 2, tenant=real.tenant)
    other = new_tenant("other").slug

    assert _generate(hub, real.tenant, "t1")["llm"]["registry_version"].endswith("/2")
    assert _generate(hub, other, "t2")["llm"]["registry_version"].endswith("/1")


def test_settings_cannot_claim_a_registry_version(routed) -> None:
    hub, _, real = routed
    forged = {"provider": "scripted", "model": "global-champ", "registry_version": "models:/x/9"}
    with pytest.raises(InvalidInput):
        hub.routes_for(real.tenant, [forged])
    with pytest.raises(InvalidInput):
        hub.routes_for(real.tenant, ["models:/patch-generator@latest"])
