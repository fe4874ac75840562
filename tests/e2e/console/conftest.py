"""The console in headless Chromium (Debian's ``chromium``, driven by Playwright) against the
real app on devhost, signing in through the development issuer's browser flow.

One devhost and one browser per module (CI time); each test opens its own browser context, so
each signs in afresh with the user and roles it needs (tokens live in the page's memory only).
Screenshots go to ``test-artifacts/console/`` (git-ignored). axe-core comes from the console's
own npm lock (``console/node_modules``), injected into each page checked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.dev_oidc import CONSOLE_CLIENT_ID
from tests.e2e.admin_api.conftest import api as api  # noqa: PLC0414 (re-exported fixtures)
from tests.e2e.admin_api.conftest import app as app  # noqa: PLC0414
from tests.e2e.admin_api.conftest import app_env as app_env  # noqa: PLC0414
from tests.e2e.admin_api.conftest import app_host as app_host  # noqa: PLC0414
from tests.e2e.admin_api.conftest import demo_tenant as demo_tenant  # noqa: PLC0414
from tests.e2e.admin_api.conftest import http as http  # noqa: PLC0414
from tests.e2e.admin_api.conftest import issuer as issuer  # noqa: PLC0414

REPO_ROOT = Path(__file__).resolve().parents[3]
BUNDLE = REPO_ROOT / "console" / "dist" / "index.html"
AXE = REPO_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "console"


def _missing(what: str) -> None:
    """Skip on a developer's machine without the browser tools; fail in CI, which installs them
    (``make test``), so a broken install can never pass as skipped tests."""
    if os.environ.get("CI"):
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="module")
def console_url(app_host, issuer) -> str:
    """The console's URL on this devhost, registered with the issuer as the client's redirect."""
    if not BUNDLE.is_file() or not AXE.is_file():
        _missing("the console is not built: run `make console`")
    url = f"{app_host.base_url}/api/console/"
    issuer.register_client(CONSOLE_CLIENT_ID, f"{url}redirect.html")
    return url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        _missing("Debian's chromium is not installed (make browser-tools installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


class Console:
    """A signed-in console tab, with the CSP reports and API bearer headers it produced."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.csp_violations: list[str] = []
        self.bearers: list[str] = []
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        self.messages.append(f"{message.type}: {message.text}")
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def _request(self, request: Any) -> None:
        auth = request.headers.get("authorization", "")
        if request.url.startswith(self.base.replace("/console/", "/")) and auth:
            self.bearers.append(auth)

    def open(self, tenant: str, *route: str) -> None:
        self.page.goto(f"{self.base}#/{'/'.join((tenant, *route))}")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def serious_axe_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
        found: list[dict[str, Any]] = self.page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        return [v for v in found if v["impact"] in ("serious", "critical")]

    def stored_values(self) -> list[str]:
        """Every value in the page's localStorage and sessionStorage."""
        values: list[str] = self.page.evaluate(
            """() => [localStorage, sessionStorage].flatMap(s =>
                Array.from({length: s.length}, (_, i) => s.key(i) + '=' + s.getItem(s.key(i))))"""
        )
        return values


@pytest.fixture
def sign_in(browser, console_url):
    """``sign_in(tenant_slug, user, *roles, route=...)``: a new context, signed in there."""
    contexts = []

    def open_as(tenant: str, user: str, *roles: str, route: tuple[str, ...] = ("approvals",)):
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        contexts.append(context)
        console = Console(context.new_page(), console_url)
        console.open(tenant, *route)
        page = console.page
        with page.expect_popup() as opened:
            page.get_by_role("button", name="Sign in").click()
        popup = opened.value  # the development issuer's sign-in page
        popup.get_by_label("User name").fill(user)
        for role in roles:
            popup.get_by_label(role, exact=True).check()
        popup.get_by_role("button", name="Sign in").click()
        try:
            page.get_by_test_id("user").wait_for(timeout=30_000)
        except Exception as exc:  # say what the page shows instead
            shown = page.content()[-1200:]
            raise AssertionError(f"not signed in: {console.messages}\n{shown}") from exc
        return console

    yield open_as
    for context in contexts:
        context.close()
