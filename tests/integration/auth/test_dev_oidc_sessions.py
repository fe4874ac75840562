"""The development issuer's refresh tokens and sign-out over real HTTP, as MSAL.js uses them:
a refresh token comes only with ``offline_access``, is redeemed once for new tokens and a new
refresh token, is bound to its tenant endpoint, client and scopes and to the sign-in's expiry;
a replayed one revokes the sign-in; end-session revokes the sign-in its ``logout_hint`` names
and returns only to a redirect URI registered for the client, carrying ``state``."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from devhost import dev_oidc_sessions
from shared.auth.entra import EntraTokenValidator
from tests.integration.auth.test_dev_oidc_browser import (
    CLIENT,
    ORIGIN,
    REDIRECT,
    SCOPE,
    TID,
    _call,
    _code,
    _pkce,
    _redeem,
)
from tests.integration.auth.test_dev_oidc_browser import issuer as issuer  # noqa: PLC0414

OFFLINE = f"{SCOPE} openid profile offline_access"
OTHER_TID = "99999999-2222-3333-4444-555555555555"


def _signed_in(issuer, scope: str = OFFLINE, user: str = "ann@contoso.example") -> dict:
    verifier, challenge = _pkce()
    status, _, tokens = _redeem(issuer, _code(issuer, challenge, user, scope=scope), verifier)
    assert status == 200, tokens
    return tokens


def _refresh(issuer, token: str, tid: str = TID, **overrides: str) -> tuple[int, dict, dict]:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token,
        "client_id": CLIENT,
        "scope": OFFLINE,
        **overrides,
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN}
    status, answer_headers, body = _call(
        issuer, "POST", f"/dev-oidc/{tid}/v2.0/token", urlencode(form), headers
    )
    return status, answer_headers, json.loads(body)


def _logout(issuer, tid: str = TID, **query: str) -> tuple[int, dict, str]:
    return _call(issuer, "GET", f"/dev-oidc/{tid}/v2.0/logout?{urlencode(query)}")


def _login_hint(tokens: dict) -> str:
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    return claims["login_hint"]


def test_discovery_advertises_the_refresh_grant(issuer):
    _, _, body = _call(issuer, "GET", f"/dev-oidc/{TID}/v2.0/.well-known/openid-configuration")
    assert json.loads(body)["grant_types_supported"] == ["authorization_code", "refresh_token"]


def test_no_refresh_token_without_offline_access(issuer):
    tokens = _signed_in(issuer, scope=f"{SCOPE} openid profile")
    assert "refresh_token" not in tokens and tokens["access_token"]


def test_a_refresh_token_yields_new_tokens_the_app_accepts_and_rotates(issuer):
    first = _signed_in(issuer)
    assert 0 < first["refresh_token_expires_in"] <= 24 * 3600
    status, headers, renewed = _refresh(issuer, first["refresh_token"])
    assert status == 200, renewed
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Cache-Control"] == "no-store"
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["access_token"] != first["access_token"]
    validator = EntraTokenValidator(authority=issuer.authority, audience="api://ai-code-agent-test")
    principal = validator.validate(renewed["access_token"], expected_tenant_id=TID)
    assert principal.username == "ann@contoso.example" and principal.roles == {"Approver"}
    assert _login_hint(renewed) == _login_hint(first)  # the same sign-in
    # The rotated token works in turn.
    assert _refresh(issuer, renewed["refresh_token"])[0] == 200


def test_a_replayed_refresh_token_is_refused_and_revokes_the_sign_in(issuer):
    first = _signed_in(issuer)
    status, _, renewed = _refresh(issuer, first["refresh_token"])
    assert status == 200
    status, _, answer = _refresh(issuer, first["refresh_token"])  # stolen and replayed
    assert status == 400 and answer["error"] == "invalid_grant"
    assert "already redeemed" in answer["error_description"]
    status, _, answer = _refresh(issuer, renewed["refresh_token"])  # the whole sign-in ended
    assert status == 400 and answer["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"client_id": "someone-else"}, "another client"),
        ({"tid": OTHER_TID}, "another tenant"),
        ({"scope": f"{OFFLINE} api://other-app/admin"}, "more than the sign-in granted"),
    ],
)
def test_a_refresh_token_is_bound_to_its_client_tenant_and_scopes(issuer, change, reason):
    tokens = _signed_in(issuer)
    status, _, answer = _refresh(issuer, tokens["refresh_token"], **change)
    assert status == 400 and answer["error"] == "invalid_grant"
    assert reason in answer["error_description"]
    assert _refresh(issuer, tokens["refresh_token"])[0] == 400  # spent even when refused


def test_fewer_scopes_may_be_asked(issuer):
    tokens = _signed_in(issuer)
    status, _, renewed = _refresh(issuer, tokens["refresh_token"], scope="openid offline_access")
    assert status == 200 and renewed["scope"] == "openid"
    assert jwt.decode(renewed["access_token"], options={"verify_signature": False})["aud"] == CLIENT


def test_unknown_and_expired_refresh_tokens_are_refused(issuer, monkeypatch):
    status, _, answer = _refresh(issuer, "not-a-token")
    assert status == 400 and answer["error"] == "invalid_grant"
    monkeypatch.setattr(dev_oidc_sessions, "SESSION_TTL_S", -1.0)
    tokens = _signed_in(issuer)
    status, _, answer = _refresh(issuer, tokens["refresh_token"])
    assert status == 400 and answer["error_description"] == "the refresh token has expired"


def test_an_unknown_grant_type_is_refused(issuer):
    status, _, answer = _refresh(issuer, "x", grant_type="password")
    assert status == 400 and answer["error"] == "unsupported_grant_type"


def test_a_code_is_refused_at_another_tenants_endpoint(issuer):
    verifier, challenge = _pkce()
    code = _code(issuer, challenge)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    status, _, body = _call(
        issuer,
        "POST",
        f"/dev-oidc/{OTHER_TID}/v2.0/token",
        urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400 and "another tenant" in json.loads(body)["error_description"]


def test_sign_out_revokes_the_sign_in_and_returns_to_the_redirect_uri_with_state(issuer):
    tokens = _signed_in(issuer)
    other = _signed_in(issuer, user="bob@contoso.example")  # another sign-in: untouched
    status, headers, _ = _logout(
        issuer,
        post_logout_redirect_uri=REDIRECT,
        logout_hint=_login_hint(tokens),
        state="logout-state",
    )
    assert status == 302
    target = urlsplit(headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    assert parse_qs(target.query) == {"state": ["logout-state"]}
    status, _, answer = _refresh(issuer, tokens["refresh_token"])
    assert status == 400 and answer["error"] == "invalid_grant"
    assert _refresh(issuer, other["refresh_token"])[0] == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://attacker.example/",
        f"{ORIGIN}/console/",  # the client's origin, not a registered URI
        f"{REDIRECT}?next=https://attacker.example/",
    ],
)
def test_sign_out_refuses_an_unregistered_return_and_revokes_nothing(issuer, target):
    tokens = _signed_in(issuer)
    status, headers, page = _logout(
        issuer, post_logout_redirect_uri=target, logout_hint=_login_hint(tokens), state="s"
    )
    assert status == 400 and "Location" not in headers and "role='alert'" in page
    assert _refresh(issuer, tokens["refresh_token"])[0] == 200


def test_sign_out_at_another_tenants_endpoint_neither_revokes_nor_redirects(issuer):
    tokens = _signed_in(issuer)
    status, headers, _ = _logout(
        issuer, OTHER_TID, post_logout_redirect_uri=REDIRECT, logout_hint=_login_hint(tokens)
    )
    assert status == 400 and "Location" not in headers  # no client known there
    assert _refresh(issuer, tokens["refresh_token"])[0] == 200


def test_sign_out_without_a_return_shows_a_page(issuer):
    status, headers, page = _logout(issuer, client_id=CLIENT)
    assert status == 200 and "Location" not in headers and "signed out" in page
