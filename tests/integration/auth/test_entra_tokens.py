"""Bearer tokens are validated like Entra ID's: real discovery + JWKS over HTTP, strict claims."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import jwt
import pytest

from devhost.dev_oidc import DevIssuer
from shared.auth.entra import EntraTokenValidator, Principal, bearer_token
from shared.domain.errors import PermissionDenied, Unauthenticated
from shared.policies.rbac import Role, require_role
from tests.support.oidc import serving_dev_issuer

AUDIENCE = "api://ai-code-agent-test"
TID = "11111111-2222-3333-4444-555555555555"
OTHER_TID = "99999999-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory) -> Iterator[DevIssuer]:
    with serving_dev_issuer(tmp_path_factory.mktemp("oidc")) as served:
        yield served


@pytest.fixture
def validator(issuer: DevIssuer) -> EntraTokenValidator:
    return EntraTokenValidator(authority=issuer.authority, audience=AUDIENCE, leeway_s=5)


def _mint(issuer: DevIssuer, **overrides) -> str:
    args = {
        "tenant_id": TID,
        "username": "alice@contoso.com",
        "audience": AUDIENCE,
        "roles": ["Approver"],
    }
    return issuer.mint(**{**args, **overrides})


def test_valid_token_yields_the_principal_and_roles(issuer, validator) -> None:
    principal = validator.validate(_mint(issuer), expected_tenant_id=TID)
    assert principal.username == "alice@contoso.com"
    assert principal.tenant_id == TID and principal.roles == {"Approver"}


def test_token_of_another_directory_tenant_is_forbidden(issuer, validator) -> None:
    with pytest.raises(PermissionDenied):
        validator.validate(_mint(issuer, tenant_id=OTHER_TID), expected_tenant_id=TID)


def test_expired_token_is_refused(issuer, validator) -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        validator.validate(_mint(issuer, lifetime_s=-30), expected_tenant_id=TID)


def test_wrong_audience_is_refused(issuer, validator) -> None:
    with pytest.raises(Unauthenticated, match=r"(?i)audience"):
        validator.validate(_mint(issuer, audience="api://other"), expected_tenant_id=TID)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(issuer, validator) -> None:
    claims = jwt.decode(_mint(issuer), options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    with pytest.raises(Unauthenticated, match="algorithm"):
        validator.validate(unsigned, expected_tenant_id=TID)


def test_hs256_token_signed_with_the_public_key_is_refused(issuer, validator) -> None:
    claims = jwt.decode(_mint(issuer), options={"verify_signature": False})
    public_n = issuer.jwks()["keys"][0]["n"]
    forged = jwt.encode(claims, public_n, algorithm="HS256", headers={"kid": issuer.kid})
    with pytest.raises(Unauthenticated, match="algorithm"):
        validator.validate(forged, expected_tenant_id=TID)


def test_tampered_claims_fail_the_signature(issuer, validator) -> None:
    header, _, signature = _mint(issuer).split(".")
    claims = jwt.decode(_mint(issuer), options={"verify_signature": False})
    claims["roles"] = ["Admin"]
    with pytest.raises(Unauthenticated):
        validator.validate(f"{header}.{_b64(claims)}.{signature}", expected_tenant_id=TID)


def test_token_signed_by_an_unknown_key_is_refused(issuer, validator, tmp_path) -> None:
    stranger = DevIssuer(tmp_path, issuer.base_url)  # same issuer URL, a different key
    token = stranger.mint(tenant_id=TID, username="mallory", audience=AUDIENCE, roles=["Admin"])
    with pytest.raises(Unauthenticated):
        validator.validate(token, expected_tenant_id=TID)


def test_missing_or_malformed_bearer_header_is_unauthenticated() -> None:
    for header in (None, "", "Basic abc", "Bearer ", "Bearer"):
        with pytest.raises(Unauthenticated):
            bearer_token(header)
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"


def test_roles_are_ordered_viewer_approver_admin() -> None:
    viewer = Principal("o", "v@x", TID, frozenset({"Viewer"}))
    admin = Principal("o", "a@x", TID, frozenset({"Admin"}))
    require_role(viewer, Role.VIEWER)
    require_role(admin, Role.APPROVER)
    with pytest.raises(PermissionDenied):
        require_role(viewer, Role.APPROVER)
    with pytest.raises(PermissionDenied):
        require_role(Principal("o", "n@x", TID, frozenset({"Reader"})), Role.VIEWER)


def test_issuer_key_survives_restart(tmp_path) -> None:
    first = DevIssuer(tmp_path, "http://x")
    again = DevIssuer(tmp_path, "http://x")
    assert first.kid == again.kid
    assert (tmp_path / "oidc" / "signing-key.pem").stat().st_mode & 0o077 == 0
    assert time.time() > 0
