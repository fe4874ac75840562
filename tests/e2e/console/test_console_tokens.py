"""The console's session over time: with access tokens that expire in seconds (the development
issuer's ``token_lifetime_s``), the console keeps loading data with refresh tokens and no new
sign-in; a refused refresh token brings the sign-in popup back; sign-out ends the session at
the issuer (its refresh token is refused afterwards) and a reload asks to sign in."""

from __future__ import annotations

import http.client
import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from playwright.sync_api import expect

from devhost.dev_oidc import CONSOLE_CLIENT_ID
from tests.support.devhost_task import comment_until_approval
from tools.demo.scenario import APPROVER, REPOSITORY

LIFETIME_S = 2


class TokenTraffic:
    """The console's calls to the issuer's token endpoint and their answers."""

    def __init__(self, page) -> None:
        self.answers: list = []
        page.on("response", self._seen)

    def _seen(self, response) -> None:
        if (
            urlsplit(response.url).path.endswith("/v2.0/token")
            and response.request.method == "POST"
        ):
            self.answers.append(response)

    def refreshes(self) -> list[tuple[int, dict]]:
        """(status, answer) of each ``grant_type=refresh_token`` request seen so far."""
        return [
            (r.status, r.json())
            for r in self.answers
            if parse_qs(r.request.post_data or "").get("grant_type") == ["refresh_token"]
        ]


def _claims(bearer: str) -> dict:
    return jwt.decode(bearer.removeprefix("Bearer "), options={"verify_signature": False})


def _redeem(issuer, directory: str, refresh_token: str) -> tuple[int, dict]:
    parts = urlsplit(issuer.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CONSOLE_CLIENT_ID,
    }
    connection.request(
        "POST",
        f"/dev-oidc/{directory}/v2.0/token",
        urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def _wait_until_expired(bearer: str) -> None:
    time.sleep(max(0.0, _claims(bearer)["exp"] - time.time() + 1.0))
    assert _claims(bearer)["exp"] < time.time()


def test_an_expired_access_token_is_renewed_silently_and_sign_out_ends_the_session(
    http, issuer, demo_tenant, sign_in, monkeypatch
):
    monkeypatch.setattr(issuer, "token_lifetime_s", LIFETIME_S)
    tenant = demo_tenant()
    task = comment_until_approval(http.base_url, tenant)
    console = sign_in(tenant.slug, APPROVER, "Approver", route=("tasks",))
    page = console.page
    traffic = TokenTraffic(page)
    signed_in_with = console.bearers[-1]
    _wait_until_expired(signed_in_with)

    console.open(tenant.slug, "approvals", task)  # loads the queue and the task
    queue = page.get_by_role("list", name="Tasks waiting for a decision")
    title = f"{REPOSITORY} #{tenant.issue_number}: fix"
    expect(queue.get_by_role("link", name=title)).to_be_visible()
    expect(page.get_by_role("table", name="Changes to calc/stats.py")).to_be_visible()
    assert page.context.pages == [page]  # no sign-in popup
    later = console.bearers[-1]
    assert _claims(later)["iat"] > _claims(signed_in_with)["exp"]  # a token minted since
    refreshes = traffic.refreshes()
    assert refreshes and all(status == 200 for status, _ in refreshes)
    latest = refreshes[-1][1]["refresh_token"]

    ends: list[str] = []
    page.context.on("request", lambda r: ends.append(r.url) if "/v2.0/logout" in r.url else None)
    with page.expect_popup():
        page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert len(ends) == 1, ends  # the issuer's end-session endpoint, from the popup
    asked = parse_qs(urlsplit(ends[0]).query)
    assert asked["post_logout_redirect_uri"] == [f"{console.base}redirect.html"]
    assert asked["logout_hint"] == [_claims(refreshes[-1][1]["id_token"])["login_hint"]]
    status, answer = _redeem(issuer, tenant.directory_id, latest)
    assert status == 400 and answer["error"] == "invalid_grant"  # revoked at the issuer
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert console.csp_violations == []


def test_a_refused_refresh_token_brings_the_sign_in_popup_back(
    http, issuer, demo_tenant, sign_in, monkeypatch
):
    monkeypatch.setattr(issuer, "token_lifetime_s", LIFETIME_S)
    tenant = demo_tenant()
    console = sign_in(tenant.slug, APPROVER, "Approver", route=("tasks",))
    page = console.page
    traffic = TokenTraffic(page)
    console.open(tenant.slug, "approvals")  # renews once, so the latest refresh token is seen
    expect(page.get_by_role("heading", level=1, name="Approvals")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Loading"))).to_have_count(0)
    latest = traffic.refreshes()[-1][1]["refresh_token"]
    status, _ = _redeem(issuer, tenant.directory_id, latest)  # someone else redeems it
    assert status == 200
    _wait_until_expired(console.bearers[-1])

    with page.expect_popup() as opened:
        console.open(tenant.slug, "tasks")
    popup = opened.value  # the issuer's sign-in page, not an error
    popup.get_by_label("User name").fill(APPROVER)
    popup.get_by_label("Approver", exact=True).check()
    popup.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Tasks")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Loading"))).to_have_count(0)
    assert traffic.refreshes()[-1][0] == 400  # the replayed token was refused first
