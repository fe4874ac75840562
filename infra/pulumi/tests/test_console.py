"""The console as a Static Web App: strict headers in its config, no preview origins, and the
Function App's CORS admitting exactly the console's origin."""

from __future__ import annotations

import json

import pytest
from agent_infra.console import config_document, content_security_policy
from agent_infra.settings import SettingsError

from tests.harness import Deployment
from tests.test_settings import parse, raw_values

SITE = "azure-native:web:StaticSite"
APP = "azure-native:web:WebApp"


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_the_console_is_a_static_web_app_without_preview_environments(dev: Deployment):
    site = dev.one(SITE)
    assert site.inputs["sku"] == {"name": "Standard", "tier": "Standard"}
    assert site.inputs["location"] == "westeurope"
    assert site.inputs["stagingEnvironmentPolicy"] == "Disabled"
    assert site.inputs["allowConfigFileUpdates"] is True


def test_the_api_allows_exactly_the_console_origin_without_credentials(dev: Deployment):
    site = dev.one(SITE)
    cors = dev.one(APP).inputs["siteConfig"]["cors"]
    origin = f"https://{site.outputs['defaultHostname']}"
    assert cors == {"allowedOrigins": [origin], "supportCredentials": False}
    assert dev.outputs["console_url"] == origin
    assert dev.outputs["console_redirect_uri"] == f"{origin}/redirect.html"


def test_the_exported_config_has_a_strict_policy_for_the_api_and_sign_in_only(dev: Deployment):
    document = json.loads(dev.outputs["console_staticwebapp_config"])
    api = dev.outputs["function_app_url"]
    headers = document["globalHeaders"]
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", api, "https://login.microsoftonline.com"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    everything = " ".join(v for values in policy.values() for v in values)
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:;"):
        assert loose not in everything.split(), loose
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert document["navigationFallback"]["rewrite"] == "/index.html"
    assert "/assets/*" in document["navigationFallback"]["exclude"]


def test_the_policy_names_the_authority_origin_not_its_path():
    policy = content_security_policy(
        "https://func-x.azurewebsites.net", "https://login.example.com/tenant/v2.0"
    )
    assert "connect-src 'self' https://func-x.azurewebsites.net https://login.example.com;" in (
        policy
    )
    assert config_document("https://a.example", "https://b.example")["globalHeaders"]


@pytest.mark.parametrize(
    ("console", "problem"),
    [
        ({"location": "swedencentral"}, "console.location"),
        ({"sku": "Premium"}, "console.sku"),
        ({"authority": "http://login.example.com"}, "console.authority"),
        ({"authority": "https://login.example.com/common"}, "console.authority"),
        ({"signInAudience": "AzureADandPersonalMicrosoftAccount"}, "console.signInAudience"),
        ({"colour": "blue"}, "console: unknown keys"),
    ],
)
def test_console_settings_are_checked(console: dict, problem: str):
    raw = raw_values("dev")
    raw["console"] = console
    with pytest.raises(SettingsError, match=problem):
        parse(raw)
