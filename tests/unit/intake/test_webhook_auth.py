"""Webhook authentication: each provider's scheme, rotation, and uniform refusals."""

from __future__ import annotations

import base64

import pytest

from shared.auth.webhooks import WebhookSecrets, authenticate, github_signature, secret_names
from shared.domain.errors import Unauthenticated
from shared.domain.task import Provider

BODY = b'{"action":"labeled"}'


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def test_github_signature_is_hmac_sha256_of_the_raw_body() -> None:
    # Value from GitHub's documentation ("Validating webhook deliveries").
    assert github_signature("It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


@pytest.mark.parametrize(
    ("provider", "headers"),
    [
        (Provider.GITHUB, {"x-hub-signature-256": github_signature("current", BODY)}),
        (Provider.GITHUB, {"x-hub-signature-256": github_signature("old", BODY).upper()}),
        (Provider.GITLAB, {"x-gitlab-token": "current"}),
        (Provider.GITLAB, {"x-gitlab-token": "old"}),
    ],
)
def test_current_and_previous_secrets_are_both_accepted(provider, headers) -> None:
    authenticate(provider, headers, BODY, WebhookSecrets(main=("current", "old")))


@pytest.mark.parametrize(
    ("provider", "headers"),
    [
        (Provider.GITHUB, {}),
        (Provider.GITHUB, {"x-hub-signature-256": github_signature("wrong", BODY)}),
        (Provider.GITHUB, {"x-hub-signature-256": github_signature("current", BODY + b" ")}),
        (Provider.GITHUB, {"x-hub-signature-256": "sha1=abc"}),
        (Provider.GITLAB, {}),
        (Provider.GITLAB, {"x-gitlab-token": "curren"}),
        (Provider.GITLAB, {"x-gitlab-token": "currént"}),
        (Provider.LOCAL_GIT, {"x-gitlab-token": "current"}),
    ],
)
def test_missing_or_wrong_credentials_are_refused_without_detail(provider, headers) -> None:
    with pytest.raises(Unauthenticated) as caught:
        authenticate(provider, headers, BODY, WebhookSecrets(main=("current",)))
    assert caught.value.message == "unauthenticated"


@pytest.mark.parametrize("provider", [Provider.GITHUB, Provider.GITLAB, Provider.AZURE_DEVOPS])
def test_a_tenant_without_secrets_accepts_nothing(provider: Provider) -> None:
    headers = {"x-gitlab-token": "", "x-hub-signature-256": github_signature("", BODY)}
    with pytest.raises(Unauthenticated):
        authenticate(provider, headers, BODY, WebhookSecrets())


ADO = WebhookSecrets(main=("hook:pw", "hook:old-pw"), header=("h1",))


@pytest.mark.parametrize(
    ("secrets", "headers", "ok"),
    [
        (ADO, {"authorization": _basic("hook:pw"), "x-secret": "h1"}, True),
        (ADO, {"authorization": _basic("hook:old-pw"), "x-secret": "h1"}, True),
        (ADO, {"authorization": _basic("hook:pw")}, False),
        (ADO, {"x-secret": "h1"}, False),
        (ADO, {"authorization": _basic("hook:nope"), "x-secret": "h1"}, False),
        (ADO, {"authorization": "Basic !!not-base64!!", "x-secret": "h1"}, False),
        (ADO, {"authorization": "Bearer abc", "x-secret": "h1"}, False),
        (WebhookSecrets(main=("hook:pw",)), {"authorization": _basic("hook:pw")}, True),
        (WebhookSecrets(header=("h1",)), {"x-secret": "h1"}, True),
        (WebhookSecrets(header=("h1",)), {"x-secret": "h2"}, False),
    ],
)
def test_azure_devops_needs_every_configured_mechanism(secrets, headers, ok: bool) -> None:
    def check() -> None:
        authenticate(Provider.AZURE_DEVOPS, headers, BODY, secrets, secret_header="X-Secret")

    if ok:
        check()
    else:
        with pytest.raises(Unauthenticated):
            check()


def test_secret_names_include_the_rotation_slot() -> None:
    assert secret_names(Provider.GITHUB) == {"main": ("webhook-github", "webhook-github-previous")}
    assert secret_names(Provider.AZURE_DEVOPS)["header"] == (
        "webhook-azure-devops-header",
        "webhook-azure-devops-header-previous",
    )
