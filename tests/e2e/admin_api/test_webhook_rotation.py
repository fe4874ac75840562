"""Rotating a tenant's webhook secret through the admin API, proven with real signed GitHub
webhooks: during the overlap both secrets verify, after it only the new one does."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import datetime

from tools.demo.scenario import REPOSITORY, encode, issue_comment, signed_headers


def _deliver(api, slug: str, secret: str) -> int:
    """A signed ``issue_comment`` that is no command: authenticated, then ignored (no task)."""
    payload = encode(issue_comment(REPOSITORY, 1, "thanks, looks good"))
    request = urllib.request.Request(
        f"{api.base_url}/api/webhooks/github/{slug}",
        data=payload,
        method="POST",
        headers=signed_headers(payload, secret),
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_both_secrets_verify_during_the_overlap_and_only_the_new_one_after(api, app, demo_tenant):
    tenant = demo_tenant()
    old = tenant.webhook_secret
    assert _deliver(api, tenant.slug, old) == 200
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    path = f"tenants/{tenant.slug}/webhook-secrets/github/rotate"

    code, rotated = api.call("POST", path, admin, {"overlap_seconds": 3})
    assert code == 200 and rotated["secret"] != old and len(rotated["secret"]) == 64
    new = rotated["secret"]
    until = datetime.fromisoformat(rotated["previous_valid_until"]).timestamp()
    time.sleep(1.1)  # intake reloads a tenant's secrets at most once a second on a mismatch

    assert _deliver(api, tenant.slug, new) == 200
    assert _deliver(api, tenant.slug, old) == 200
    assert _deliver(api, tenant.slug, "never-the-secret") == 401
    assert time.time() < until, "the overlap ended before it was checked: raise overlap_seconds"

    time.sleep(max(0.0, until - time.time()) + 0.2)
    assert _deliver(api, tenant.slug, old) == 401
    assert _deliver(api, tenant.slug, new) == 200

    kinds = [e["kind"] for e in _audit(api, tenant)]
    assert kinds.count("webhook-secret.rotated") == 1
    assert new not in str(_audit(api, tenant)) and old not in str(_audit(api, tenant))


def test_a_rotation_without_overlap_retires_the_old_secret_at_once(api, demo_tenant):
    tenant = demo_tenant()
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    path = f"tenants/{tenant.slug}/webhook-secrets/github/rotate"
    code, rotated = api.call("POST", path, admin, {"overlap_seconds": 0})
    assert code == 200 and rotated["previous_valid_until"] is None
    time.sleep(1.1)
    assert _deliver(api, tenant.slug, tenant.webhook_secret) == 401
    assert _deliver(api, tenant.slug, rotated["secret"]) == 200


def test_only_a_tenant_admin_rotates_and_the_answer_is_the_only_place_the_secret_shows(
    api, demo_tenant
):
    tenant = demo_tenant()
    path = f"tenants/{tenant.slug}/webhook-secrets/github/rotate"
    for role in ("Viewer", "Approver", "Auditor"):
        token = api.token(tenant.directory_id, f"{role}@contoso.example", role)
        assert api.call("POST", path, token, {})[0] == 403
    assert _deliver(api, tenant.slug, tenant.webhook_secret) == 200


def _audit(api, tenant) -> list[dict]:
    auditor = api.token(tenant.directory_id, "auditor@contoso.example", "Auditor")
    code, page = api.call("GET", f"tenants/{tenant.slug}/audit?limit=200", auditor)
    assert code == 200
    return page["items"]
