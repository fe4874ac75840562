"""The console as people use it: an Approver signs in through the development issuer, finds the
demo task in the approvals queue, reads its diff side by side, approves it and sees the pull
request link appear; a Viewer gets no approve button and the API refuses their own token
anyway; every page is screenshotted and passes axe-core with no serious or critical
violation; no token is ever written to browser storage; no CSP violation happens."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

from devhost.dev_oidc import CONSOLE_CLIENT_ID
from shared.domain.llm import ProviderKind
from shared.domain.models import ModelSpec
from tests.e2e.patch_flow.conftest import AUDIENCE
from tests.support.devhost_task import comment_until_approval
from tools.demo.scenario import (
    APPROVER,
    REPOSITORY,
)


def _no_token_stored(console) -> None:
    for value in console.stored_values():
        assert "eyJ" not in value, value  # a JWT's header
        assert not re.search(r"accesstoken|idtoken|refreshtoken", value, re.I), value


def test_an_approver_reviews_the_diff_approves_and_sees_the_pull_request(
    http, demo_tenant, sign_in
):
    tenant = demo_tenant()
    task = comment_until_approval(http.base_url, tenant)
    console = sign_in(tenant.slug, APPROVER, "Approver")
    page = console.page

    expect(page.get_by_test_id("tenant")).to_contain_text(tenant.slug)
    expect(page.get_by_test_id("user")).to_have_text(APPROVER)
    expect(page.get_by_test_id("roles")).to_contain_text("Approver")
    queue = page.get_by_role("list", name="Tasks waiting for a decision")
    queue.get_by_role("link", name=f"{REPOSITORY} #{tenant.issue_number}: fix").click()
    expect(page).to_have_url(re.compile(f"#/{tenant.slug}/approvals/{task}$"))  # a blade

    diff = page.get_by_role("table", name="Changes to calc/stats.py")
    expect(diff).to_contain_text("for value in values:")  # the fix, on the right
    expect(diff.locator("td.code.added").first).to_be_visible()
    expect(diff.locator("td.code.removed").first).to_be_visible()
    expect(page.get_by_role("heading", name="Risk")).to_be_visible()
    _no_token_stored(console)

    page.get_by_label("Comment").fill("Reviewed in the console: the loop now counts every value.")
    page.get_by_role("button", name="Approve").click()
    link = page.get_by_role("status").get_by_role("link")
    expect(link).to_be_visible(timeout=60_000)
    done = http.wait(task, lambda s: s["runtimeStatus"] == "Completed")
    assert link.get_attribute("href") == done["output"]["pr"]["url"]
    expect(page.get_by_text("Approved by")).to_be_visible()
    expect(queue.get_by_role("link")).to_have_count(0)  # decided: gone from the queue
    assert console.csp_violations == []
    _no_token_stored(console)


def test_an_approver_rejects_with_a_comment_and_no_pull_request_is_opened(
    http, demo_tenant, sign_in
):
    tenant = demo_tenant()
    task = comment_until_approval(http.base_url, tenant)
    console = sign_in(tenant.slug, APPROVER, "Approver", route=("approvals", task))
    page = console.page
    page.get_by_label("Comment").fill("Not this way: keep the guard for empty input.")
    page.get_by_role("button", name="Reject").click()
    decision = page.get_by_role("region", name="Decision")
    expect(decision).to_contain_text("Rejected by")
    expect(decision).to_contain_text("keep the guard for empty input")
    done = http.wait(task, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "rejected"
    assert page.get_by_role("status").get_by_role("link").count() == 0


def test_a_viewer_gets_no_approve_button_and_the_api_refuses_their_token(
    http, demo_tenant, sign_in
):
    tenant = demo_tenant()
    task = comment_until_approval(http.base_url, tenant)
    console = sign_in(tenant.slug, "viewer@contoso.example", "Viewer", route=("tasks", task))
    page = console.page

    expect(page.get_by_role("table", name="Changes to calc/stats.py")).to_be_visible()
    expect(page.get_by_text("may read this change, not decide on it")).to_be_visible()
    assert page.get_by_role("button", name="Approve").count() == 0
    assert page.get_by_role("link", name="Approvals").count() == 0  # no queue for them

    # The very token the console got through the browser flow, replayed against decideTask.
    bearer = console.bearers[-1]
    refused = page.request.post(
        f"{http.base_url}/api/tenants/{tenant.slug}/tasks/{task}/approval",
        data=json.dumps({"decision": "approve"}),
        headers={"Authorization": bearer, "Content-Type": "application/json"},
    )
    assert refused.status == 403
    assert http.status(task)["customStatus"]["step"] == "awaiting-approval"


def test_every_page_is_accessible_and_screenshotted(app, api, http, demo_tenant, sign_in):
    tenant = demo_tenant()
    task = comment_until_approval(http.base_url, tenant)
    model = app.model_registry.register(
        f"console-{tenant.slug}",
        ModelSpec(ProviderKind.SCRIPTED, "demo", "patch_udiff.v1", "sha256:00", "udiff"),
        description="The recorded answers of the demo",
        created_by="tests",
    )
    console = sign_in(tenant.slug, APPROVER, "Approver", "TenantAdmin", "Auditor")
    title = f"{REPOSITORY} #{tenant.issue_number}: fix"
    pages = {
        "approvals": (("approvals",), "Approvals"),
        "approvals-blade": (("approvals", task), title),
        "tasks": (("tasks",), "Tasks"),
        "task": (("tasks", task), title),
        "timeline": (("tasks", task, "timeline"), "Timeline"),
        "audit": (("audit",), "Audit log"),
        "usage": (("usage",), "Usage and cost"),
        "models": (("models", model.name, str(model.version)), "Model card"),
        "settings": (("settings",), "Tenant settings"),
    }
    problems = {}
    for name, (route, heading) in pages.items():
        console.open(tenant.slug, *route)
        expect(console.page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        console.page.wait_for_load_state("networkidle")
        expect(console.page.get_by_text(re.compile(r"^Loading")), name).to_have_count(
            0, timeout=60_000
        )
        if name == "audit":
            console.page.get_by_role("button", name="Verify chain").click()
            expect(console.page.get_by_text("Chain verified")).to_be_visible()
            console.page.get_by_role("button", name="Export").click()
            with console.page.expect_download() as downloading:
                console.page.get_by_role("link", name="Download the export").click()
            exported = Path(downloading.value.path()).read_text().strip().split("\n")
            first = json.loads(exported[0])
            assert first["seq"] == 1 and len(exported) >= 9 and "hash" in first
        if name in ("task", "approvals-blade"):
            expect(console.page.get_by_role("button", name="Approve")).to_be_visible()
        if name == "settings":  # a TenantAdmin changes the approval rule (sent with If-Match)
            console.page.get_by_label("Human approval").select_option("risk")
            console.page.get_by_role("button", name="Save").click()
            expect(console.page.get_by_text("Saved.")).to_be_visible()
        expect(console.page.get_by_test_id("tenant")).to_contain_text(tenant.slug)
        console.screenshot(name)
        problems[name] = console.serious_axe_violations()
    assert problems == {name: [] for name in pages}
    assert console.csp_violations == []
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    assert api.call("GET", f"tenants/{tenant.slug}/policies/patch", admin)[1]["approval"] == "risk"

    # From the keyboard: a page's heading takes focus when it opens, Tab goes on to the first
    # task, Enter opens it; "Skip to content" moves focus past the header to the page.
    page = console.page
    console.open(tenant.slug, "approvals")
    first = page.get_by_role("list", name="Tasks waiting for a decision").get_by_role("link")
    expect(first).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Approvals")).to_be_focused()
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"#/{tenant.slug}/approvals/{task}$"))
    expect(page.get_by_role("heading", level=1, name=title)).to_be_focused()  # the blade
    page.get_by_role("link", name="Skip to content").focus()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # Tokens were in memory only: a reload has to sign in again.
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def _raw_get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", path)  # sent as written: no client-side normalisation
    response = connection.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_the_bundle_is_served_with_types_and_a_strict_policy_and_nothing_else(http, console_url):
    for path, mimetype in [
        ("", "text/html"),
        ("index.html", "text/html"),
        ("app.js", "text/javascript"),
        ("app.css", "text/css"),
        ("redirect.html", "text/html"),
        ("console.json", "application/json"),
    ]:
        status, headers, _ = _raw_get(http.base_url, f"/console/{path}")
        assert status == 200 and headers["content-type"].startswith(mimetype), path
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy
        assert "frame-ancestors 'none'" in policy and headers["x-content-type-options"] == "nosniff"
    for path in [
        "%2e%2e/function_app.py",
        "..%2ffunction_app.py",
        "%2e%2e%2f%2e%2e%2flocal.settings.example.json",
        "chunks/%2e%2e/%2e%2e/host.json",
        "..%5chost.json",
        ".gitignore",
    ]:
        status, headers, body = _raw_get(http.base_url, f"/console/{path}")
        assert status == 404, path
        assert b"Functions" not in body and b"extensionBundle" not in body
        assert "content-security-policy" in headers


def test_the_sign_in_config_is_public_and_names_the_tenants_directory(
    http, issuer, demo_tenant, console_url
):
    tenant = demo_tenant()
    status, headers, body = _raw_get(http.base_url, f"/console/config.json?tenant={tenant.slug}")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(body) == {
        "tenant": tenant.slug,
        "clientId": CONSOLE_CLIENT_ID,
        "authority": f"{issuer.authority}/{tenant.directory_id}/v2.0",
        "knownAuthorities": [urlsplit(issuer.authority).netloc],
        "scopes": [f"{AUDIENCE}/access_as_user"],
    }
    status, _, body = _raw_get(http.base_url, "/console/config.json?tenant=no-such-tenant")
    assert status == 404 and json.loads(body)["error"] == "tenant-not-found"
    status, _, body = _raw_get(http.base_url, "/console/config.json")
    assert status == 400 and json.loads(body)["error"] == "tenant-required"
    for odd in ("%00x", "A" * 300, "demo%27--", "..%2f"):
        status, _, body = _raw_get(http.base_url, f"/console/config.json?tenant={odd}")
        assert status == 400 and json.loads(body)["error"] == "invalid-tenant-slug", odd
