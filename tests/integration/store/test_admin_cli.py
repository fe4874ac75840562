"""The operator CLI: tenants, migrations and audit from a shell, with one-line errors."""

from __future__ import annotations

import json
import secrets

import pytest

from tools.admin.__main__ import main


@pytest.fixture(autouse=True)
def settings(monkeypatch, database_url, role_prefix, db) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TENANT_ROLE_PREFIX", role_prefix)


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


def test_invalid_slug_is_a_one_line_error(capsys) -> None:
    assert main(["tenants", "provision", "Bad_Slug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid-tenant-slug:") and err.count("\n") == 1
