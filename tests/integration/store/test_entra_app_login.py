"""Azure's two logins: the provisioner (the server's Entra ID administrator) creates the app's
login as a plain role before the app first logs in.

Azure's ``pgaadauth_create_principal_with_oid(roleName, objectId, objectType, isAdmin, isMfa)``
is not on this server: a stand-in with the documented signature, called by the provisioner as
Azure's is, creates a login role and records each call (its password, which a real Entra login
does not have, lets the app log in on a server that checks passwords).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from shared.adapters.store.postgres.roles import Login
from shared.bootstrap import Container
from shared.config import Settings
from shared.domain.errors import ConfigurationError

_STAND_IN = """
CREATE FUNCTION public.pgaadauth_create_principal_with_oid(
    role_name text, object_id text, object_type text, is_admin boolean, is_mfa boolean
) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.entra_calls VALUES (role_name, object_id, object_type, is_admin, is_mfa);
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', role_name, {password});
    RETURN 'Created role for ' || role_name;
END $$
"""


@dataclass(frozen=True)
class EntraServer:
    server_url: str
    database: str
    provisioner: Login
    password: str

    def settings(self, app_role: str, object_id: str) -> Settings:
        """The Azure shape of settings (an app login named by POSTGRES_USER and its object
        id), with URLs on this server in place of Entra tokens."""
        return Settings(
            database_url=make_conninfo(
                self.server_url, user=app_role, password=self.password, dbname=self.database
            ),
            database_admin_url=make_conninfo(
                self.server_url,
                user=self.provisioner.name,
                password=self.provisioner.password,
                dbname=self.database,
            ),
            postgres_user=app_role,
            postgres_object_id=object_id,
        )

    def calls(self) -> list[tuple[object, ...]]:
        url = make_conninfo(self.server_url, dbname=self.database)
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT * FROM public.entra_calls").fetchall()

    def role(self, name: str) -> tuple[object, ...] | None:
        with psycopg.connect(self.server_url) as conn:
            return conn.execute(
                "SELECT rolinherit, rolcreaterole, rolcreatedb, rolsuper FROM pg_roles"
                " WHERE rolname = %s",
                (name,),
            ).fetchone()


@pytest.fixture
def entra_server(
    server_url: str, session_logins: tuple[Login, Login, str], role_prefix: str
) -> Iterator[EntraServer]:
    provisioner, _, _ = session_logins
    database = f"{role_prefix}entra_{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(16)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(provisioner.name)
            )
        )
    with psycopg.connect(make_conninfo(server_url, dbname=database), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.entra_calls (role_name text, object_id text, object_type text,"
            " is_admin boolean, is_mfa boolean)"
        )
        conn.execute(
            sql.SQL("GRANT INSERT ON public.entra_calls TO {}").format(
                sql.Identifier(provisioner.name)
            )
        )
        conn.execute(sql.SQL(_STAND_IN).format(password=sql.Literal(password)))
    yield EntraServer(server_url, database, provisioner, password)
    # the session's clean-up drops this database and every role with the session's prefix


def test_the_provisioner_creates_the_apps_login_as_a_plain_noinherit_role(
    entra_server: EntraServer, role_prefix: str
) -> None:
    app_role, object_id = f"{role_prefix}entra_app_{secrets.token_hex(3)}", str(uuid.uuid4())
    for _ in range(2):  # a second start finds the login and creates nothing
        app = Container(entra_server.settings(app_role, object_id))
        try:
            with app.db.connection() as conn:
                assert conn.execute("SELECT session_user AS u").fetchone() == {"u": app_role}
        finally:
            app.db.close()
            assert app.admin_db is not None
            app.admin_db.close()

    assert entra_server.calls() == [(app_role, object_id, "service", False, False)]
    # NOINHERIT: tenant roles granted to it reach nothing until it switches to one.
    assert entra_server.role(app_role) == (False, False, False, False)


def test_an_app_login_that_may_create_roles_is_refused(
    entra_server: EntraServer, role_prefix: str
) -> None:
    app_role = f"{role_prefix}entra_admin_{secrets.token_hex(3)}"
    with psycopg.connect(entra_server.server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(app_role)))
    app = Container(entra_server.settings(app_role, str(uuid.uuid4())))
    try:
        with pytest.raises(ConfigurationError, match="plain login"):
            app.db  # noqa: B018 (building it is what is refused)
        assert entra_server.calls() == []
    finally:
        assert app.admin_db is not None
        app.admin_db.close()
