"""Entra ID login: each new connection logs in with the current access token as its password.

A credential that issues tokens (as Entra ID does) and a real PostgreSQL role whose password is
set to the token just issued, on a server of this module's own that checks passwords for that
role (SCRAM): the previous token stops working when a new one is issued, so a connection that
logged in with a stale token would fail here.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from azure.core.credentials import AccessToken
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.entra import POSTGRES_SCOPE, EntraTokenPassword
from shared.bootstrap import Container
from shared.config import Settings
from tests.conftest import REPO_ROOT

ROLE = "entra_app"
LIFETIME = 3600


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class RotatingEntra:
    """Issues a fresh token per request and makes it the role's only valid password."""

    superuser: str
    clock: Clock
    scopes: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.scopes.extend(scopes)
        token = secrets.token_urlsafe(32)
        with psycopg.connect(self.superuser, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(ROLE), sql.Literal(token)
                )
            )
        self.issued.append(token)
        return AccessToken(token, int(self.clock() + LIFETIME))


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A server of this module's own whose ``entra_app`` role must present its password
    (under the repository's .devhost: pgserver's system user cannot enter pytest's tmp)."""
    import pgserver

    pgdata = REPO_ROOT / ".devhost" / f"entra-pg-{secrets.token_hex(4)}"
    handle = pgserver.get_server(pgdata, cleanup_mode="delete")
    hba = pgdata / "pg_hba.conf"
    hba.write_text(
        f"local all {ROLE} scram-sha-256\nhost all {ROLE} 127.0.0.1/32 scram-sha-256\n"
        + hba.read_text()
    )
    url = str(handle.get_uri())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(ROLE)))
        conn.execute("SELECT pg_reload_conf()")
    yield url
    handle.cleanup()


@pytest.fixture
def entra(server: str) -> RotatingEntra:
    return RotatingEntra(server, Clock())


def _as_role(server: str, password: str | None = None) -> str:
    return make_conninfo(server, user=ROLE, password=password)


def test_the_server_really_checks_the_token(server: str, entra: RotatingEntra) -> None:
    token = entra.get_token(POSTGRES_SCOPE).token
    with psycopg.connect(_as_role(server, token)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (ROLE,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(_as_role(server, token + "x"))


def test_new_connections_log_in_with_a_token_refreshed_before_it_expires(
    server: str, entra: RotatingEntra
) -> None:
    password = EntraTokenPassword(entra, refresh_margin_s=300, clock=entra.clock)
    db = Database(_as_role(server), min_size=1, max_size=2, password=password)
    db.open()
    try:
        assert entra.scopes == [POSTGRES_SCOPE]
        entra.clock.now += LIFETIME - 301  # still valid beyond the margin: the same token
        assert password() == entra.issued[0] and len(entra.issued) == 1
        entra.clock.now += 2  # inside the margin: the next connection gets a new token
        with db.connection() as held, db.connection() as fresh:  # the pool grows by one
            assert held.execute("SELECT 1 AS one").fetchone() == {"one": 1}
            assert fresh.execute("SELECT current_user AS u").fetchone() == {"u": ROLE}
        assert len(entra.issued) == 2
        with pytest.raises(psycopg.OperationalError):  # the first token no longer logs in
            psycopg.connect(_as_role(server, entra.issued[0]))
    finally:
        db.close()


def test_the_app_logs_in_with_entra_as_the_role_its_settings_name(
    server: str, entra: RotatingEntra
) -> None:
    socket_dir = conninfo_to_dict(server)["host"]
    settings = Settings(
        database_url=None,  # whatever the environment says: this is the Azure path
        postgres_host=str(socket_dir),
        postgres_database="postgres",
        postgres_user=ROLE,
        postgres_auth="entra",
    )
    app = Container(settings, postgres_credentials=lambda _client_id: entra)
    try:
        with app.db.connection() as conn:
            assert conn.execute("SELECT session_user AS u").fetchone() == {"u": ROLE}
        assert entra.scopes == [POSTGRES_SCOPE]
    finally:
        app.db.close()


def test_each_login_takes_its_tokens_from_the_identity_its_settings_name(
    server: str, entra: RotatingEntra
) -> None:
    """The app's login and the provisioner's are two managed identities: each asks for its
    tokens with its own client id (the same role stands in for both logins here)."""
    app_identity, provisioner_identity = str(uuid.uuid4()), str(uuid.uuid4())
    asked: list[str | None] = []

    def credentials(client_id: str | None) -> RotatingEntra:
        asked.append(client_id)
        return entra

    settings = Settings(
        database_url=None,
        database_admin_url=None,
        postgres_host=str(conninfo_to_dict(server)["host"]),
        postgres_database="postgres",
        postgres_user=ROLE,
        postgres_client_id=app_identity,
        postgres_admin_user=ROLE,
        postgres_admin_client_id=provisioner_identity,
        postgres_auth="entra",
    )
    app = Container(settings, postgres_credentials=credentials)
    try:
        with app.db.connection() as conn:
            assert conn.execute("SELECT session_user AS u").fetchone() == {"u": ROLE}
        assert asked == [app_identity]
        assert app.admin_db is not None
        with app.admin_db.connection() as conn:
            assert conn.execute("SELECT session_user AS u").fetchone() == {"u": ROLE}
        assert asked == [app_identity, provisioner_identity]
    finally:
        app.db.close()
        if app.admin_db is not None:
            app.admin_db.close()
