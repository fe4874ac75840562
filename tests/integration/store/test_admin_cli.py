"""The operator CLI: tenants, migrations and audit from a shell, with one-line errors."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tools.admin.__main__ import main


@pytest.fixture
def settings(monkeypatch, database_url, admin_database_url, role_prefix, db) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATABASE_ADMIN_URL", admin_database_url)
    monkeypatch.setenv("TENANT_ROLE_PREFIX", role_prefix)


@pytest.mark.usefixtures("settings")
def test_tenant_lifecycle_and_audit_from_the_command_line(capsys, tmp_path) -> None:
    slug = f"cli-{secrets.token_hex(3)}"
    assert main(["migrate"]) == 0
    assert main(["tenants", "provision", slug, "--name", "CLI Corp"]) == 0
    assert main(["tenants", "list"]) == 0
    assert f"{slug}\tactive\tCLI Corp" in capsys.readouterr().out
    assert main(["tenants", "disable", slug]) == 0
    assert main(["audit", "verify", slug]) == 0
    assert "audit chain verified" in capsys.readouterr().out
    out = tmp_path / "audit.jsonl"
    assert main(["audit", "export", slug, "--out", str(out)]) == 0
    assert all(json.loads(line) for line in out.read_text().splitlines())
    assert main(["tenants", "deprovision", slug]) == 2  # without --yes
    assert main(["tenants", "deprovision", slug, "--yes"]) == 0
    assert main(["tenants", "enable", slug]) == 2
    assert "tenant-not-found" in capsys.readouterr().err


@pytest.mark.usefixtures("settings")
def test_invalid_slug_is_a_one_line_error(capsys) -> None:
    assert main(["tenants", "provision", "Bad_Slug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid-tenant-slug:") and err.count("\n") == 1


@pytest.mark.usefixtures("settings")
def test_the_admin_services_from_the_command_line(capsys, monkeypatch, tmp_path) -> None:
    """Quotas, role assignments, tasks, usage and webhook rotation: the API's own services,
    audited with the operator as the principal."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    slug = f"cli-{secrets.token_hex(3)}"
    assert main(["tenants", "provision", slug]) == 0
    assert main(["quotas", "set", slug, "--max-concurrent-tasks", "2"]) == 0
    capsys.readouterr()
    assert main(["quotas", "show", slug]) == 0
    assert json.loads(capsys.readouterr().out)["max_concurrent_tasks"] == 2
    object_id = "00000000-0000-0000-0000-000000000042"
    assert main(["roles", "assign", slug, object_id, "Auditor"]) == 0
    assert main(["roles", "list", slug]) == 0
    assert f"{object_id}\tAuditor\toperator (tools.admin)" in capsys.readouterr().out
    assert main(["roles", "assign", slug, object_id, "Emperor"]) == 2
    assert capsys.readouterr().err.startswith("error: invalid-role:")
    assert main(["tasks", "list", slug]) == 0 and capsys.readouterr().out == ""
    assert main(["usage", slug]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["llm_calls"] == 0
    rotate = ["webhook-secret", "rotate", slug, "gitlab", "--overlap-seconds", "60"]
    assert main(rotate) == 0
    assert capsys.readouterr().out.endswith("no overlap\n")  # there was no secret before
    assert main(rotate) == 0
    out = capsys.readouterr().out
    assert out.startswith("new gitlab webhook secret: ") and "accepted until" in out
    assert main(["audit", "export", slug]) == 0
    kinds = [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()]
    assert kinds == ["role.assigned", "webhook-secret.rotated", "webhook-secret.rotated"]


def test_operating_commands_work_on_the_embedded_defaults() -> None:
    """No DATABASE_URL: the CLI starts (or joins) devhost's embedded server under the current
    folder, as the README's operating commands are run on a fresh checkout. (The folder is
    under the repository's .devhost: pgserver's system user cannot enter pytest's tmp.)"""
    work = REPO_ROOT / ".devhost" / f"cli-{secrets.token_hex(4)}"
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "POSTGRES_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)

    def admin(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tools.admin", *args],
            check=False,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    try:
        assert "platform 0001_platform" in admin("migrate")
        assert "database tenant_emb_corp" in admin("tenants", "provision", "emb-corp")
        assert "emb-corp\tactive" in admin("tenants", "list")
        assert "audit chain verified" in admin("audit", "verify", "emb-corp")
        assert admin("tenants", "deprovision", "emb-corp", "--yes") == "deprovisioned emb-corp\n"
        assert admin("migrate") == "nothing to apply\n"
    finally:
        import pgserver

        pgserver.get_server(work / ".devhost" / "pg", cleanup_mode="delete").cleanup()
        shutil.rmtree(work)
