"""``python -m tools.admin models``: out of the box after ``migrate``, then a challenger through
evaluation; proposals and approvals are refused at the CLI (they belong to the admin API, where
both people are Entra principals), and rollback — on PostgreSQL (the platform's promotion
record and MLflow's SQL store)."""

from __future__ import annotations

import json

import pytest

from shared.bootstrap import Container
from shared.config import load_settings
from shared.services.models.governance import PLATFORM_ADMIN, Actor
from tools.admin.__main__ import main

PEOPLE = [("oid-alice", "alice@ops.example"), ("oid-bob", "bob@ops.example")]
PROVIDER_SETTINGS = (
    "OLLAMA_HOST",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "MLFLOW_TRACKING_URI",
)


@pytest.fixture
def settings(monkeypatch, database_url, admin_database_url, role_prefix, db, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATABASE_ADMIN_URL", admin_database_url)
    monkeypatch.setenv("TENANT_ROLE_PREFIX", role_prefix)
    monkeypatch.setenv("MLFLOW_DATABASE", role_prefix + "mlflow_cli")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    for name in PROVIDER_SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("settings")
def test_models_from_a_fresh_install_to_promotion_and_rollback(capsys) -> None:
    assert main(["migrate"]) == 0
    assert "patch-generator/1 (scripted/demo) as champion" in capsys.readouterr().out
    assert main(["migrate"]) == 0  # registers nothing twice
    assert "as champion" not in capsys.readouterr().out

    assert main(["models", "card", "patch-generator@champion"]) == 0
    card = capsys.readouterr().out
    assert card.startswith("# Model card: patch-generator version 1")
    assert "## Intended use" in card and "approved version 1 as champion by migration" in card

    for recording in ("eval-poor", "eval-good"):
        assert main(["models", "register", "--provider", "scripted", "--model", recording,
                     "--by", "alice"]) == 0  # fmt: skip
    assert main(["models", "evaluate", "patch-generator/2"]) == 0
    poor = json.loads(capsys.readouterr().out.splitlines()[-1])
    rates = ("tasks", "resolved", "applied", "well_formed")
    assert tuple(poor[k] for k in rates) == pytest.approx((12, 1 / 12, 6 / 12, 9 / 12))
    assert main(["models", "evaluate", "patch-generator/3"]) == 0
    good = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert tuple(good[k] for k in rates) == (12.0, 1.0, 1.0, 1.0)
    # The CLI decides nothing: no proposal, no approval, whoever --by claims to be.
    assert main(["models", "promote", "patch-generator/3", "--by", "alice"]) == 2
    assert "go through the admin API" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["models", "promote", "patch-generator/3", "--approve", "--by", "bob"])
    capsys.readouterr()

    # Two PlatformAdmins decide (through the admin API in production; its use case here).
    governance = Container(load_settings()).model_governance
    admins = [Actor(oid, frozenset({PLATFORM_ADMIN}), name) for oid, name in PEOPLE]
    governance.propose("patch-generator", 3, admins[0])
    governance.approve("patch-generator", 3, admins[1])
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert (
        "patch-generator/3\tscripted/eval-good\tpatch_udiff.v1\tudiff\tchallenger,champion"
        in listing
    )
    assert main(["models", "card", "patch-generator/3", "--json"]) == 0
    card3 = json.loads(capsys.readouterr().out)
    assert card3["evaluation_results"][0]["resolved"] == 1.0
    assert [(a["action"], a["actor"]) for a in card3["approvals"]] == [
        ("proposed", "alice@ops.example (oid-alice)"),
        ("approved", "bob@ops.example (oid-bob)"),
    ]

    assert main(["models", "promote", "patch-generator", "--rollback", "--by", "carol"]) == 0
    assert "patch-generator@champion is version 1 (was 3)" in capsys.readouterr().out
    assert main(["models", "card", "patch-generator/1", "--json"]) == 0
    card1 = json.loads(capsys.readouterr().out)
    assert card1["version_history"][-1]["actor"] == "operator (tools.admin): carol"
