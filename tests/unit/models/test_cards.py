"""Model cards: every section, in JSON and Markdown, from the registry, evaluations and the
promotion record; other tenants' aliases stay hidden; every PR body links the card."""

from __future__ import annotations

from decimal import Decimal

from shared.domain.llm import ProviderKind
from shared.domain.models import CHAMPION, PATCH_MODEL, EvaluationResult, ModelSpec, Promotion
from shared.ports.registry import FakeModelRegistry, FakePromotionLog
from shared.services.models.cards import SECTIONS, ModelCards, card_markdown
from shared.services.patch_flow.messages import model_card_link, pull_request_body

SPEC = ModelSpec(
    ProviderKind.OLLAMA, "qwen2.5-coder:7b", "patch_udiff.v1", "sha256:ab", "udiff", "sha256:cd"
)


def cards() -> ModelCards:
    registry, log = FakeModelRegistry(), FakePromotionLog()
    registry.register(PATCH_MODEL, SPEC, description="Ollama coder", created_by="alice")
    registry.set_alias(PATCH_MODEL, CHAMPION, 1)
    registry.set_alias(PATCH_MODEL, CHAMPION, 1, tenant="acme")
    registry.set_alias(PATCH_MODEL, CHAMPION, 1, tenant="globex")
    registry.log_evaluation(
        PATCH_MODEL,
        1,
        EvaluationResult("pybugs", "1", 3, 2 / 3, 1.0, 1.0, 900, Decimal("0.002"), 120),
    )
    log.append(Promotion(PATCH_MODEL, 1, "challenger", None, "proposed", "alice"))
    log.append(Promotion(PATCH_MODEL, 1, CHAMPION, None, "approved", "bob", previous=None))
    return ModelCards(registry, log)


def test_the_card_has_every_section_with_its_facts() -> None:
    card = cards().card(PATCH_MODEL, 1, tenant="acme")
    assert set(SECTIONS) <= set(card)
    details = card["model_details"]
    assert (details["provider"], details["model"], details["model_version"]) == (
        "ollama",
        "qwen2.5-coder:7b",
        "sha256:cd",
    )
    assert (details["prompt"], details["prompt_hash"]) == ("patch_udiff.v1", "sha256:ab")
    [evaluation] = card["evaluation_results"]
    assert (evaluation["suite"], evaluation["suite_version"], evaluation["tasks"]) == (
        "pybugs",
        "1",
        3,
    )
    assert [(a["action"], a["actor"]) for a in card["approvals"]] == [
        ("proposed", "alice"),
        ("approved", "bob"),
    ]
    assert [h["action"] for h in card["version_history"]] == ["approved"]
    assert "inside the deployment" in card["data_statement"]


def test_a_tenant_sees_its_own_aliases_only() -> None:
    card = cards().card(PATCH_MODEL, 1, tenant="acme")
    assert card["model_details"]["tenant_aliases"] == ["champion"]
    assert "globex" not in str(card)


def test_markdown_has_a_heading_per_section() -> None:
    text = card_markdown(cards().card(PATCH_MODEL, 1))
    for heading in (
        "## Model details",
        "## Intended use",
        "## Out-of-scope uses",
        "## Data statement",
        "## Evaluation results",
        "## Limitations",
        "## Risks",
        "## Approvals",
        "## Version history",
    ):
        assert heading in text
    assert "| pybugs | 1 | 3 | 67% | 100% | 100% |" in text
    assert "approved version 1 as champion by bob" in text


def test_the_pr_body_links_the_card_of_the_version_that_answered() -> None:
    llm = {"provider": "ollama", "model": "qwen", "registry_version": "models:/patch-generator/4"}
    link = model_card_link("https://agent.example/", "acme", llm)
    assert link == "https://agent.example/api/models/patch-generator/versions/4/card?tenant=acme"
    task = {
        "requester": "dev",
        "source_kind": "issue",
        "source_id": "7",
        "command": "fix",
        "instruction": "x",
    }
    validation = {"stats": {"files": 1, "added": 1, "removed": 1}, "check": None}
    body = pull_request_body(
        task,
        link="https://agent.example/api/tenants/acme/tasks/t1",
        validation=validation,
        risk={"level": "low"},
        llm=llm,
        approval=None,
        model_card=link,
    )
    assert f"model card: {link}" in body and "models:/patch-generator/4" in body
    assert model_card_link("https://a", "acme", {"provider": "ollama"}) is None
    assert model_card_link("https://a", "acme", {"registry_version": "models:/x/../y"}) is None
