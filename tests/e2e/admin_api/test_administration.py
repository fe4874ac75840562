"""Platform and tenant administration on devhost: tenants' lifecycle, quotas and budgets with
ETag / If-Match, policies validated by the code that reads them, per-tenant role assignments in
a directory shared by several tenants, connections, and the audit (query, export, verify)."""

from __future__ import annotations

import json
import secrets
import urllib.parse
import urllib.request
import uuid

from devhost.dev_oidc import object_id_for
from tests.e2e.admin_api.conftest import PLATFORM_DIRECTORY
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator


def _platform(api):
    return api.token(PLATFORM_DIRECTORY, "ops@platform.example", "PlatformAdmin")


def test_a_tenant_lives_and_dies_through_the_platform_api(api, app):
    ops = _platform(api)
    slug, directory = f"plat-{secrets.token_hex(3)}", str(uuid.uuid4())
    body = {"slug": slug, "display_name": "Plat", "entra_tenant_id": directory}
    code, made = api.call("POST", "tenants", ops, body)
    assert (code, made["slug"], made["status"], made["entra_tenant_id"]) == (
        201, slug, "active", directory,
    )  # fmt: skip
    assert api.call("POST", "tenants", ops, body)[1]["code"] == "tenant-exists"
    seen, cursor = [], ""
    while True:
        code, page = api.call("GET", f"tenants?limit=2{cursor}", ops)
        seen += [t["slug"] for t in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert slug in seen and seen == sorted(set(seen))

    viewer = api.token(directory, "viewer@plat.example", "Viewer")
    assert api.call("GET", f"tenants/{slug}/tasks", viewer)[0] == 200
    assert api.call("POST", f"tenants/{slug}/disable", ops)[1]["status"] == "disabled"
    assert api.call("GET", f"tenants/{slug}/tasks", viewer)[1]["code"] == "tenant-disabled"
    assert api.call("POST", f"tenants/{slug}/enable", ops)[1]["status"] == "active"
    assert api.call("GET", f"tenants/{slug}/tasks", viewer)[0] == 200
    assert api.call("DELETE", f"tenants/{slug}", ops)[0] == 204
    assert api.call("GET", f"tenants/{slug}", ops)[1]["code"] == "tenant-not-found"

    with app.db.connection() as conn:
        kinds = [
            (r["kind"], r["actor"])
            for r in conn.execute(
                "SELECT kind, actor FROM platform.admin_events WHERE tenant = %s ORDER BY id",
                (slug,),
            )
        ]
    actor = f"ops@platform.example ({object_id_for('ops@platform.example')})"
    assert kinds == [
        (k, actor)
        for k in (
            "tenant.provisioned", "tenant.disabled", "tenant.active", "tenant.deprovisioned",
        )
    ]  # fmt: skip


def test_quotas_and_budgets_need_the_version_they_were_read_at(api, demo_tenant):
    tenant, ops = demo_tenant(), _platform(api)
    path = f"tenants/{tenant.slug}/quotas"
    request = urllib.request.Request(f"{api.base_url}/api/{path}", headers=ops)
    with urllib.request.urlopen(request, timeout=30) as response:
        etag = response.headers["ETag"]
        quotas = json.loads(response.read())
    changed = {**quotas, "daily_cost_budget_usd": 12.5, "max_concurrent_tasks": 2}
    code, body = api.call("PUT", path, ops, changed)
    assert (code, body["code"]) == (428, "if-match-required")
    code, body = api.call("PUT", path, {**ops, "If-Match": '"stale"'}, changed)
    assert (code, body["code"]) == (412, "version-mismatch")
    code, body = api.call("PUT", path, {**ops, "If-Match": etag}, changed)
    assert (
        code == 200 and body["daily_cost_budget_usd"] == 12.5 and body["max_concurrent_tasks"] == 2
    )
    # The same version again is stale now: the first write won, the second is refused.
    again = {**changed, "daily_cost_budget_usd": 99}
    assert api.call("PUT", path, {**ops, "If-Match": etag}, again)[0] == 412
    assert api.call("GET", path, ops)[1]["daily_cost_budget_usd"] == 12.5


def test_policies_are_checked_by_the_code_that_reads_them_and_audited(api, demo_tenant):
    tenant = demo_tenant()
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    for policy, value, bad in (
        ("trigger", {"agent_accounts": ["bot"], "command_prefix": "/ai"}, {"nonsense": 1}),
        ("patch", {"approval": "always", "max_files": 3}, {"approval": "sometimes"}),
        ("model-route", {"routes": [{"provider": "scripted", "model": "demo"}]},
         {"routes": [{"provider": "scripted", "model": "bad model!"}]}),
    ):  # fmt: skip
        path = f"tenants/{tenant.slug}/policies/{policy}"
        request = urllib.request.Request(f"{api.base_url}/api/{path}", headers=admin)
        with urllib.request.urlopen(request, timeout=30) as response:
            etag = response.headers["ETag"]
        code, body = api.call("PUT", path, {**admin, "If-Match": etag}, bad)
        assert code == 400, (policy, body)
        code, body = api.call("PUT", path, {**admin, "If-Match": etag}, value)
        assert code == 200, (policy, body)
        assert _subset(value, body), (policy, body)
    auditor = api.token(tenant.directory_id, "auditor@contoso.example", "Auditor")
    code, page = api.call("GET", f"tenants/{tenant.slug}/audit?kind=policy.changed", auditor)
    assert [e["data"]["policy"] for e in page["items"]] == ["trigger", "patch", "model-route"]


def _subset(expected, actual) -> bool:
    """``expected``'s fields hold in ``actual`` (which may show more: defaults, nulls)."""
    if isinstance(expected, dict):
        return all(_subset(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(map(_subset, expected, actual))
    return expected == actual


def test_in_a_shared_directory_roles_come_from_each_tenants_assignments(api, app, demo_tenant):
    first, second = demo_tenant(), demo_tenant()
    app.tenants.update_settings(second.slug, {"entra_tenant_id": first.directory_id})
    directory = first.directory_id
    admin = api.token(directory, "admin@contoso.example", "TenantAdmin")
    # One directory, two tenants: the token's app roles cannot say which tenant they are for.
    for slug in (first.slug, second.slug):
        assert api.call("GET", f"tenants/{slug}/tasks", admin)[1]["code"] == "role-required"
    # The first tenant grants the user TenantAdmin (as the operator, through the service).
    from shared.services.admin.access import OPERATOR

    app.admin.access.assign_role(
        first.slug, object_id_for("admin@contoso.example"), "TenantAdmin", OPERATOR
    )
    assert api.call("GET", f"tenants/{first.slug}/tasks", admin)[0] == 200
    assert api.call("GET", f"tenants/{second.slug}/tasks", admin)[0] == 403
    # ... and, as TenantAdmin there, makes a colleague Auditor of that tenant only.
    colleague = object_id_for("auditor@contoso.example")
    path = f"tenants/{first.slug}/role-assignments/{colleague}/Auditor"
    assert api.call("PUT", path, admin)[1]["role"] == "Auditor"
    auditor = api.token(directory, "auditor@contoso.example")
    assert api.call("GET", f"tenants/{first.slug}/audit/verify", auditor)[1]["ok"] is True
    assert api.call("GET", f"tenants/{second.slug}/audit/verify", auditor)[0] == 403
    assert api.call("DELETE", path, admin)[0] == 204
    assert api.call("GET", f"tenants/{first.slug}/audit/verify", auditor)[0] == 403


def test_connections_register_test_and_rotate_their_token_without_showing_it(api, demo_tenant):
    tenant = demo_tenant()
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    base = f"tenants/{tenant.slug}/connections"
    code, listed = api.call("GET", base, admin)
    assert code == 200 and [c["repository"] for c in listed["items"]] == ["demo/calc"]
    existing = listed["items"][0]
    code, result = api.call("POST", f"{base}/{existing['id']}/test", admin)
    assert (code, result["ok"], result["default_branch"]) == (200, True, "main")

    body = {"provider": "github", "repository": "demo/missing", "backend": "local_git"}
    code, made = api.call("POST", base, admin, body)
    assert code == 201 and made["has_token"] is False
    code, result = api.call("POST", f"{base}/{made['id']}/test", admin)
    assert (code, result["ok"], result["error"]) == (200, False, "scm-not-found")
    bad = {**body, "base_url": "http://127.0.0.1/"}
    assert api.call("POST", base, admin, bad)[1]["code"] == "invalid-connection"

    token = f"tok-{secrets.token_hex(8)}"
    assert api.call("PUT", f"{base}/{made['id']}/token", admin, {"token": token})[0] == 204
    code, listed = api.call("GET", base, admin)
    assert [c["has_token"] for c in listed["items"] if c["id"] == made["id"]] == [True]
    assert token not in json.dumps(listed)
    assert api.call("POST", f"{base}/424242/test", admin)[1]["code"] == "connection-not-found"


def test_audit_query_export_and_verify_agree(api, demo_tenant):
    tenant = demo_tenant()
    auditor = api.token(tenant.directory_id, "auditor@contoso.example", "Auditor")
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    api.call("POST", f"tenants/{tenant.slug}/webhook-secrets/gitlab/rotate", admin, {})
    code, check = api.call("GET", f"tenants/{tenant.slug}/audit/verify", auditor)
    assert code == 200 and check["ok"] is True and check["checked"] >= 3
    request = urllib.request.Request(
        f"{api.base_url}/api/tenants/{tenant.slug}/audit/export", headers=auditor
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("application/jsonl")
        lines = response.read().decode().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == list(range(1, check["checked"] + 1))
    code, page = api.call("GET", f"tenants/{tenant.slug}/audit?limit=200", auditor)
    assert [e["hash"] for e in page["items"]] == [e["hash"] for e in events]
    code, linked = api.call("GET", f"tenants/{tenant.slug}/audit?kind=identity.linked", auditor)
    assert {e["kind"] for e in linked["items"]} == {"identity.linked"} and linked["items"]
    by_admin = f"admin@contoso.example ({object_id_for('admin@contoso.example')})"
    query = urllib.parse.urlencode({"actor": by_admin})
    code, mine = api.call("GET", f"tenants/{tenant.slug}/audit?{query}", auditor)
    assert [e["kind"] for e in mine["items"]] == ["webhook-secret.rotated"]
    assert api.call("GET", f"tenants/{tenant.slug}/audit/verify", admin)[0] == 403


def test_of_two_writers_with_the_same_version_exactly_one_wins(api, demo_tenant):
    from concurrent.futures import ThreadPoolExecutor

    tenant = demo_tenant()
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    path = f"tenants/{tenant.slug}/policies/patch"
    request = urllib.request.Request(f"{api.base_url}/api/{path}", headers=admin)
    with urllib.request.urlopen(request, timeout=30) as response:
        etag = response.headers["ETag"]
    writes = [{"max_files": n} for n in range(2, 8)]
    with ThreadPoolExecutor(len(writes)) as pool:
        codes = list(
            pool.map(
                lambda body: api.call("PUT", path, {**admin, "If-Match": etag}, body)[0], writes
            )
        )
    assert sorted(codes) == [200] + [412] * (len(writes) - 1)
    winner = writes[codes.index(200)]["max_files"]
    assert api.call("GET", path, admin)[1]["max_files"] == winner


def test_connections_to_private_addresses_are_refused_and_an_allowed_emulator_works(
    api, demo_tenant
):
    """SSRF guard: a base_url reaching metadata, loopback or a private network is a 400
    ``base-url-not-allowed`` and nothing is stored; 127.0.0.1 is on this suite's allow-list
    (``SCM_ALLOWED_HOSTS``) only with the emulator's exact host, so the real SDK reaches it."""
    tenant = demo_tenant()
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    base = f"tenants/{tenant.slug}/connections"
    before = api.call("GET", base, admin)[1]["items"]
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/api/v3",
        "http://[::1]:5432/",
        "http://[fd00::1]/",
        "http://127.0.0.2:7071/",
    ):
        body = {"provider": "github", "repository": "o/r", "base_url": url, "token": "t"}
        code, answer = api.call("POST", base, admin, body)
        assert (code, answer["code"]) == (400, "base-url-not-allowed"), url
    assert api.call("GET", base, admin)[1]["items"] == before

    token = secrets.token_hex(8)
    emulator = GithubEmulator("octo", "hello", Forge({"README.md": b"hi\n"}), token)
    with emulator.server.running():
        body = {
            "provider": "github",
            "repository": "octo/hello",
            "base_url": emulator.api_url,
            "token": token,
        }
        code, made = api.call("POST", base, admin, body)
        assert code == 201, made
        code, result = api.call("POST", f"{base}/{made['id']}/test", admin)
    assert (code, result["ok"], result["default_branch"]) == (200, True, "main")
