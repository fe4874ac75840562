"""``python -m tools.redact --tenant SLUG FILE``: placeholders keyed with the tenant's own key,
through the composition root, on the test session's PostgreSQL and local tenant keys."""

from __future__ import annotations

import secrets

from shared.adapters.keys.local import LocalKeyProvider
from shared.policies.secrets import REDACTION_KEY_PURPOSE, placeholder
from tools.redact.__main__ import LOCAL_DEVELOPMENT_KEY, main


def test_tenant_placeholders_use_the_tenant_key(
    database_url, new_tenant, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    tenant = new_tenant("redact").slug
    secret = secrets.token_urlsafe(12) + "9!"
    path = tmp_path / "application.properties"
    path.write_text(f"spring.datasource.password={secret}\nserver.port=8080\n")

    assert main(["--tenant", tenant, str(path)]) == 0

    out, _ = capsys.readouterr()
    key = LocalKeyProvider(tmp_path).derive_key(tenant, REDACTION_KEY_PURPOSE)
    expected = placeholder("secret-assignment", secret, key=key)
    assert out == f"spring.datasource.password={expected}\nserver.port=8080\n"
    assert expected != placeholder("secret-assignment", secret, key=LOCAL_DEVELOPMENT_KEY)


def test_an_unknown_tenant_is_a_clear_error(database_url, db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    path = tmp_path / ".env"
    path.write_text("A=1\n")

    assert main(["--tenant", "no-such-tenant", str(path)]) == 2

    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: tenant-not-found: ")
    assert not (tmp_path / "keys").exists()  # nothing was made for a tenant that does not exist
