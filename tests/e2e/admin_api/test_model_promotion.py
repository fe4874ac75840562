"""Model promotion through the admin API on devhost (MLflow's SQL store on the embedded
PostgreSQL, tokens from the development issuer): the gate, two different PlatformAdmins, the
alias that moves only on approval, and the next task's lineage naming the approved version."""

from __future__ import annotations

import secrets
import urllib.request
from decimal import Decimal

import pytest

from devhost.dev_oidc import object_id_for
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute
from shared.domain.models import CHAMPION, EvaluationResult
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.models.registration import spec_for
from tests.e2e.admin_api.conftest import PLATFORM_DIRECTORY
from tests.support.devhost_task import comment_until_approval
from tools.demo.scenario import (
    prepare_tenant,
)

ALICE, BOB = "alice@ops.example", "bob@ops.example"


def _scores(resolved: float) -> EvaluationResult:
    return EvaluationResult("pybugs", "1", 3, resolved, 1.0, 1.0, 900, Decimal("0.01"), 120)


@pytest.fixture
def model(app) -> str:
    """A model of its own (the registry's database is shared by the suite's modules): three
    versions of the scripted demo route, version 1 champion; evaluated 0.8, 0.9 and 0.6 (above
    the thresholds, worse than the champion beyond the margin)."""
    name = f"pg-{secrets.token_hex(4)}"
    registry = app.model_registry
    spec = spec_for(
        LlmRoute(ProviderKind.SCRIPTED, "demo"), edit_format="udiff", prompts=PromptLibrary()
    )
    for resolved in (0.8, 0.9, 0.6):
        made = registry.register(name, spec, description=f"scores {resolved}", created_by="test")
        registry.log_evaluation(name, made.version, _scores(resolved))
    registry.set_alias(name, CHAMPION, 1)
    return name


def _admin(api, user: str) -> dict[str, str]:
    return api.token(PLATFORM_DIRECTORY, user, "PlatformAdmin")


def _aliases(api, model: str) -> dict[int, list[str]]:
    code, listing = api.call("GET", f"models/{model}/versions", _admin(api, ALICE))
    assert code == 200, listing
    return {v["version"]: v["aliases"] for v in listing["items"]}


def _lineage_llm(api, tenant) -> dict:
    """Start a task for ``tenant`` and read, through the API, what its lineage says of the model
    that answered."""
    task = comment_until_approval(api.base_url, tenant)
    viewer = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    code, detail = api.call("GET", f"tenants/{tenant.slug}/tasks/{task}", viewer)
    assert code == 200, detail
    return dict(detail["lineage"]["attempts"][-1]["llm"])


def test_a_version_becomes_champion_only_through_the_gate_and_another_admins_approval(
    api, app, model
):
    alice, bob = _admin(api, ALICE), _admin(api, BOB)
    code, models = api.call("GET", "models", alice)
    assert code == 200
    assert {"name": model, "champion": 1, "challenger": None} in models["items"]
    versions = f"models/{model}/versions"
    code, listing = api.call("GET", versions, alice)
    assert code == 200
    first = listing["items"][0]
    assert (first["aliases"], first["latest_evaluation"]["resolved"]) == (["champion"], 0.8)
    assert first["card"] == f"/api/models/{model}/versions/1/card"

    # Only PlatformAdmins of the operators' directory take part.
    routes = [f"models:/{model}@champion"]
    tenant = prepare_tenant(app, f"adm-{secrets.token_hex(3)}", llm_routes=routes)
    for outsider in (
        api.token(PLATFORM_DIRECTORY, "reader@ops.example", "Viewer"),
        api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin", "PlatformAdmin"),
    ):
        code, body = api.call("POST", f"{versions}/2/proposal", outsider, {})
        assert code == 403, body

    # A worse challenger is refused by the gate, with the verdict recorded.
    code, body = api.call("POST", f"{versions}/3/proposal", alice, {})
    assert (code, body["code"]) == (409, "promotion-gate-refused")
    assert "worse than champion's 0.80" in body["detail"]

    # Without a proposal there is nothing to approve.
    code, body = api.call("POST", f"{versions}/2/decision", bob, {"decision": "approve"})
    assert (code, body["code"]) == (409, "not-proposed")

    code, proposal = api.call("POST", f"{versions}/2/proposal", alice, {})
    assert code == 201 and proposal["action"] == "proposed"
    assert proposal["actor"] == f"{ALICE} ({object_id_for(ALICE)})"
    assert proposal["gate"]["passed"] is True
    assert _aliases(api, model) == {1: ["champion"], 2: ["challenger"], 3: []}  # not yet

    # The proposer cannot approve their own proposal.
    code, body = api.call("POST", f"{versions}/2/decision", alice, {"decision": "approve"})
    assert (code, body["code"]) == (403, "proposer-cannot-approve")
    assert _aliases(api, model)[1] == ["champion"]

    code, approval = api.call("POST", f"{versions}/2/decision", bob, {"decision": "approve"})
    assert code == 200, approval
    assert (approval["action"], approval["previous"]) == ("approved", 1)
    assert approval["actor"] == f"{BOB} ({object_id_for(BOB)})"
    assert _aliases(api, model) == {1: [], 2: ["challenger", "champion"], 3: []}
    # The next task is answered by the approved version, and its lineage says so and links its
    # card, which the tenant's users can read.
    llm = _lineage_llm(api, tenant)
    assert llm["registry_version"] == f"models:/{model}/2"
    viewer = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    code, card = api.call("GET", f"{llm['model_card'][5:]}?tenant={tenant.slug}", viewer)
    assert (code, card["uri"]) == (200, f"models:/{model}/2")
    assert [a["action"] for a in card["approvals"]] == ["proposed", "refused", "approved"]

    # Every step is on the record, refusals included, with who took it.
    code, history = api.call("GET", f"models/{model}/promotions", alice)
    assert code == 200
    steps = [(s["version"], s["action"], s["actor"].split(" ")[0]) for s in history["items"]]
    assert steps == [
        (3, "refused", ALICE),
        (2, "proposed", ALICE),
        (2, "refused", ALICE),
        (2, "approved", BOB),
    ]

    code, rolled = api.call("POST", f"models/{model}/rollback", alice, {})
    assert (code, rolled["action"], rolled["version"], rolled["previous"]) == (
        200,
        "rolled-back",
        1,
        2,
    )
    assert _aliases(api, model)[1] == ["champion"]


def test_a_tenants_own_promotion_can_be_rejected_and_other_tenants_never_see_it(
    api, model, demo_tenant
):
    alice, bob = _admin(api, ALICE), _admin(api, BOB)
    tenant, other = demo_tenant(), demo_tenant()
    proposal = f"models/{model}/versions/2/proposal"
    code, body = api.call("POST", proposal, alice, {"tenant": "no-such-tenant"})
    assert (code, body["code"]) == (404, "tenant-not-found")
    code, step = api.call("POST", proposal, alice, {"tenant": tenant.slug})
    assert code == 201 and step["tenant"] == tenant.slug and step["alias"] == "challenger"

    # A tenant's users see the global aliases and their own tenant's; never another tenant's.
    mine = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    code, listing = api.call("GET", f"tenants/{tenant.slug}/models/{model}/versions", mine)
    assert code == 200
    assert listing["items"][1]["tenant_aliases"] == [{"tenant": tenant.slug, "alias": "challenger"}]
    theirs = api.token(other.directory_id, "auditor@contoso.example", "Auditor")
    code, listing = api.call("GET", f"tenants/{other.slug}/models/{model}/versions", theirs)
    assert code == 200 and listing["items"][1]["tenant_aliases"] == []
    code, _ = api.call("GET", f"tenants/{tenant.slug}/models/{model}/versions", theirs)
    assert code == 403  # another directory's token

    decision = f"models/{model}/versions/2/decision"
    reject = {"decision": "reject", "tenant": tenant.slug, "comment": "not for this tenant yet"}
    code, step = api.call("POST", decision, bob, reject)
    assert (code, step["action"], step["reason"]) == (200, "rejected", "not for this tenant yet")
    code, body = api.call("POST", decision, bob, {"decision": "approve", "tenant": tenant.slug})
    assert (code, body["code"]) == (409, "not-proposed")  # the rejection closed the proposal
    code, body = api.call("POST", f"models/{model}/versions/9/proposal", alice, {})
    assert (code, body["code"]) == (404, "model-not-found")
    code, body = api.call("POST", decision, bob, {"decision": "maybe"})
    assert (code, body["code"]) == (400, "invalid-body")


def test_the_model_card_is_served_as_json_and_markdown_to_the_tenants_users(
    api, model, demo_tenant
):
    tenant = demo_tenant()
    viewer = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    path = f"models/{model}/versions/1/card?tenant={tenant.slug}"
    code, card = api.call("GET", path, viewer)
    assert code == 200 and card["evaluation_results"][0]["resolved"] == 0.8
    request = urllib.request.Request(
        f"{api.base_url}/api/{path}", headers={**viewer, "Accept": "text/markdown"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["Content-Type"].startswith("text/markdown")
        assert response.read().decode().startswith(f"# Model card: {model} version 1")
    code, body = api.call("GET", f"models/{model}/versions/1/card", viewer)
    assert (code, body["code"]) == (400, "tenant-required")
