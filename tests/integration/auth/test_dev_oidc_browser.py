"""The development issuer's browser flow over real HTTP, as MSAL.js runs it: authorization code
with PKCE (S256), codes single-use and bound to their client, redirect URI and verifier; only
registered redirect URIs ever receive a code; CORS only for registered origins; the tokens it
issues pass the app's own validation."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from devhost import dev_oidc_browser
from devhost.dev_oidc import DevIssuer
from shared.auth.entra import EntraTokenValidator
from tests.support.oidc import serving_dev_issuer

TID = "11111111-2222-3333-4444-555555555555"
CLIENT = "console-test"
REDIRECT = "http://127.0.0.1:9/console/redirect.html"
ORIGIN = "http://127.0.0.1:9"
SCOPE = "api://ai-code-agent-test/access_as_user"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory) -> Iterator[DevIssuer]:
    with serving_dev_issuer(tmp_path_factory.mktemp("oidc")) as served:
        served.register_client(CLIENT, REDIRECT)
        yield served


def _call(issuer: DevIssuer, method: str, path: str, body: str | None = None, headers=None):
    parts = urlsplit(issuer.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read().decode()


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(issuer, challenge: str, **overrides: str) -> tuple[int, dict, str]:
    query = {
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "response_mode": "query",
        "scope": f"{SCOPE} openid profile",
        "state": "state-1",
        "nonce": "nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return _call(issuer, "GET", f"/dev-oidc/{TID}/v2.0/authorize?{urlencode(query)}")


def _code(
    issuer, challenge: str, user: str = "ann@contoso.example", roles=("Approver",), **asked: str
) -> str:
    status, _, page = _authorize(issuer, challenge, **asked)
    assert status == 200
    pending = re.search(r"name='request' value='([^']+)'", page).group(1)
    form = urlencode([("request", pending), ("username", user), *[("roles", r) for r in roles]])
    status, headers, _ = _call(
        issuer,
        "POST",
        f"/dev-oidc/{TID}/v2.0/authorize",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302
    location = urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    answer = parse_qs(location.query)
    assert answer["state"] == ["state-1"]
    return answer["code"][0]


def _redeem(issuer, code: str, verifier: str, **overrides: str) -> tuple[int, dict, dict]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        **overrides,
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN}
    status, answer_headers, body = _call(
        issuer, "POST", f"/dev-oidc/{TID}/v2.0/token", urlencode(form), headers
    )
    return status, answer_headers, json.loads(body)


def test_discovery_names_the_browser_endpoints(issuer):
    status, headers, body = _call(
        issuer,
        "GET",
        f"/dev-oidc/{TID}/v2.0/.well-known/openid-configuration",
        headers={"Origin": ORIGIN},
    )
    document = json.loads(body)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ORIGIN
    assert document["authorization_endpoint"] == f"{issuer.issuer(TID)}/authorize"
    assert document["end_session_endpoint"] == f"{issuer.issuer(TID)}/logout"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_a_code_redeemed_with_its_verifier_yields_tokens_the_app_accepts(issuer):
    verifier, challenge = _pkce()
    code = _code(issuer, challenge, roles=("Approver", "Auditor"))
    status, headers, tokens = _redeem(issuer, code, verifier)
    assert status == 200, tokens
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Cache-Control"] == "no-store"
    validator = EntraTokenValidator(authority=issuer.authority, audience="api://ai-code-agent-test")
    principal = validator.validate(tokens["access_token"], expected_tenant_id=TID)
    assert principal.username == "ann@contoso.example"
    assert principal.roles == {"Approver", "Auditor"}
    identity = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert identity["aud"] == CLIENT and identity["nonce"] == "nonce-1"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"code_verifier": secrets.token_urlsafe(48)}, "does not match"),
        ({"redirect_uri": "http://127.0.0.1:9/elsewhere"}, "redirect_uri"),
        ({"client_id": "someone-else"}, "another client"),
        ({"code_verifier": "short"}, "43 to 128"),
    ],
)
def test_a_code_is_refused_unless_client_redirect_and_verifier_match_and_is_then_spent(
    issuer, change, reason
):
    verifier, challenge = _pkce()
    code = _code(issuer, challenge)
    status, _, answer = _redeem(issuer, code, verifier, **change)
    assert status == 400 and answer["error"] == "invalid_grant"
    assert reason in answer["error_description"]
    assert _redeem(issuer, code, verifier)[2]["error_description"] == (
        "unknown or already redeemed code"
    )


def test_a_code_is_single_use(issuer):
    verifier, challenge = _pkce()
    code = _code(issuer, challenge)
    assert _redeem(issuer, code, verifier)[0] == 200
    status, _, answer = _redeem(issuer, code, verifier)
    assert status == 400 and answer["error"] == "invalid_grant"


def test_an_expired_code_is_refused(issuer, monkeypatch):
    monkeypatch.setattr(dev_oidc_browser, "CODE_TTL_S", -1.0)
    verifier, challenge = _pkce()
    status, _, answer = _redeem(issuer, _code(issuer, challenge), verifier)
    assert status == 400 and answer["error_description"] == "the code has expired"


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "https://attacker.example/steal"},
        {"client_id": "unknown-client"},
        {"code_challenge_method": "plain"},
        {"code_challenge": ""},
        {"response_type": "token"},
    ],
)
def test_a_bad_authorization_request_is_refused_on_the_page_never_redirected(issuer, change):
    _, challenge = _pkce()
    status, headers, page = _authorize(issuer, challenge, **change)
    assert status == 400 and "Location" not in headers
    assert "role='alert'" in page and "<form" not in page
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_cors_answers_only_registered_origins(issuer):
    token = f"/dev-oidc/{TID}/v2.0/token"
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-a"}
    status, headers, _ = _call(issuer, "OPTIONS", token, headers={"Origin": ORIGIN, **asked})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == ORIGIN
    status, headers, _ = _call(
        issuer, "OPTIONS", token, headers={"Origin": "https://attacker.example", **asked}
    )
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    _, headers, _ = _call(issuer, "GET", "/dev-oidc/keys", headers={"Origin": "https://x.test"})
    assert "Access-Control-Allow-Origin" not in headers


def test_an_empty_user_name_shows_the_form_again(issuer):
    _, challenge = _pkce()
    _, _, page = _authorize(issuer, challenge)
    pending = re.search(r"name='request' value='([^']+)'", page).group(1)
    status, _, again = _call(
        issuer,
        "POST",
        f"/dev-oidc/{TID}/v2.0/authorize",
        urlencode({"request": pending, "username": " "}),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400 and "Enter a user name." in again and "aria-invalid" in again
