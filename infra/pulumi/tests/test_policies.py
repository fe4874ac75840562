"""Policy rules: the platform passes them, each rule catches its own violation, and one flipped
property in the program is caught both by the tests and by the policy pack."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from agent_infra import tags
from platform_rules import REQUIRED_TAGS, TAGGED_TYPES, UNTAGGED_TYPES
from pulumi_azure_native import dbforpostgresql

from tests.checks import assert_data_services_private
from tests.harness import Deployment, policy_violations, run_program, stack_config
from tests.mocks import Registration


def test_the_platform_passes_every_policy(dev: Deployment, prod: Deployment):
    assert policy_violations(dev) == []
    assert policy_violations(prod) == []


def test_every_registered_azure_type_is_classified_for_tagging(dev: Deployment):
    types = {r.type for r in dev.registrations if r.type.startswith("azure-native:")}
    assert types - TAGGED_TYPES - UNTAGGED_TYPES == set()
    assert not TAGGED_TYPES & UNTAGGED_TYPES


def test_program_and_policy_agree_on_required_tags():
    assert tags.REQUIRED_TAGS == REQUIRED_TAGS


def _set(props: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        props = props[part]
    if value is _DELETE:
        props.pop(leaf, None)
    else:
        props[leaf] = value


_DELETE = object()
NO_EGRESS = "sandbox-without-egress"
NO_IMPLICIT = "entra-no-implicit-grant"
REDIRECTS = "entra-redirects-console-origin"
SPA_SECRETS = "entra-spa-without-secrets"
MUTATIONS = [
    ("postgres-server", "network.publicNetworkAccess", "Enabled", "no-public-data-access"),
    ("artifacts-account", "publicNetworkAccess", "Enabled", "no-public-data-access"),
    ("artifacts-account", "allowBlobPublicAccess", True, "no-public-data-access"),
    ("keyvault-vault", "properties.publicNetworkAccess", "Enabled", "no-public-data-access"),
    ("durable-scheduler", "properties.publicNetworkAccess", "Enabled", "no-public-data-access"),
    ("artifacts-account", "minimumTlsVersion", "TLS1_0", "tls-1-2-minimum"),
    ("artifacts-account", "enableHttpsTrafficOnly", False, "tls-1-2-minimum"),
    ("functions-app", "siteConfig.minTlsVersion", "1.0", "tls-1-2-minimum"),
    ("postgres-ssl-min-protocol-version", "value", "TLSv1.1", "tls-1-2-minimum"),
    ("gpu-ollama", "configuration.ingress.allowInsecure", True, "tls-1-2-minimum"),
    ("functions-storage-account", "allowSharedKeyAccess", True, "shared-key-access-off"),
    ("functions-storage-account", "allowSharedKeyAccess", _DELETE, "shared-key-access-off"),
    ("keyvault-vault", "properties.enablePurgeProtection", False, "key-vault-purge-protection"),
    ("keyvault-vault", "properties.enableRbacAuthorization", False, "key-vault-purge-protection"),
    ("contoso-key", "tags.owner", _DELETE, "required-tags"),
    ("functions-app", "tags.environment", "", "required-tags"),
    ("gpu-env", "vnetConfiguration.internal", False, "private-inference"),
    ("gpu-ollama", "configuration.ingress.ipSecurityRestrictions", [], "private-inference"),
    ("sandbox-pool", "sessionNetworkConfiguration.status", "EgressEnabled", NO_EGRESS),
    ("sandbox-pool", "sessionNetworkConfiguration", _DELETE, NO_EGRESS),
    ("functions-app", "siteConfig.cors.allowedOrigins", ["*"], "browser-origins-exact"),
    ("functions-app", "siteConfig.cors.allowedOrigins", ["http://x.example"],
     "browser-origins-exact"),
    ("functions-app", "siteConfig.cors.supportCredentials", True, "browser-origins-exact"),
    ("console-site", "stagingEnvironmentPolicy", "Enabled", "browser-origins-exact"),
    ("entra-console", "web.implicitGrant.accessTokenIssuanceEnabled", True, NO_IMPLICIT),
    ("entra-console", "web.implicitGrant.idTokenIssuanceEnabled", True, NO_IMPLICIT),
    ("entra-api", "web", {"implicitGrant": {"idTokenIssuanceEnabled": True}}, NO_IMPLICIT),
    ("entra-console", "singlePageApplication.redirectUris", ["http://{host}/redirect.html"],
     REDIRECTS),
    ("entra-console", "singlePageApplication.redirectUris", ["https://{host}.evil.example/"],
     REDIRECTS),
    ("entra-console", "singlePageApplication.redirectUris", ["https://{host}/*"],
     REDIRECTS),
    ("entra-console", "web.redirectUris", ["http://localhost:3000/"], REDIRECTS),
    ("entra-console", "publicClient", {"redirectUris": ["https://login.example/"]}, REDIRECTS),
    ("entra-console", "password", {"displayName": "ci"}, SPA_SECRETS),
]  # fmt: skip


@pytest.mark.parametrize(("resource", "path", "value", "policy"), MUTATIONS)
def test_each_rule_catches_its_violation(dev: Deployment, resource, path, value, policy):
    """One property changed in the whole stack: in the inputs (what resource rules read) and
    the outputs (what stack rules read); ``{host}`` is the console's host name."""
    host = dev.one("azure-native:web:StaticSite").outputs["defaultHostname"]
    if isinstance(value, list):
        value = [v.format(host=host) for v in value]
    original = dev.named(resource)
    props, state = copy.deepcopy(original.inputs), copy.deepcopy(original.outputs)
    _set(props, path, value)
    _set(state, path, value)
    mutated = Registration(**{**original.__dict__, "inputs": props, "outputs": state})
    stack = tuple(mutated if r is original else r for r in dev.registrations)
    found = policy_violations(Deployment(stack, {}))
    assert [p for p, _ in found] == [policy], found


@pytest.mark.parametrize(
    ("kind", "reference", "owner"),
    [
        ("applicationPassword", "applicationId", "entra-console"),
        ("servicePrincipalPassword", "servicePrincipalId", "entra-console-sp"),
    ],
)
def test_no_password_may_be_added_to_the_spa(dev: Deployment, kind, reference, owner):
    """A password resource of the console's application or service principal is refused; one
    of the API's (a confidential resource) is not this rule's business."""

    def password(target: str) -> Registration:
        template = dev.named("entra-api-uri")
        kind_type = f"azuread:index/{kind}:{kind[0].upper()}{kind[1:]}"
        props = {reference: dev.named(target).id, "displayName": "ci"}
        return Registration(
            **{**template.__dict__, "type": kind_type, "name": "pw", "urn": "urn:pw"}
            | {"inputs": props, "outputs": props}
        )

    found = policy_violations(Deployment((*dev.registrations, password(owner)), {}))
    message = "pw: a password for a single-page application (a public client)"
    assert found == [(SPA_SECRETS, message)]
    api_owner = owner.replace("console", "api")
    assert policy_violations(Deployment((*dev.registrations, password(api_owner)), {})) == []


@pytest.fixture(scope="module")
def public_postgres() -> Deployment:
    """The dev stack with ONE property flipped inside the program: PostgreSQL public access."""
    real = dbforpostgresql.NetworkArgs

    def flipped(**kwargs: Any) -> dbforpostgresql.NetworkArgs:
        return real(**{**kwargs, "public_network_access": "Enabled"})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dbforpostgresql, "NetworkArgs", flipped)
        return run_program(stack_config("dev"), stack="dev")


def test_a_public_postgres_is_caught_by_the_tests(public_postgres: Deployment):
    with pytest.raises(AssertionError, match=r"postgres .* is public"):
        assert_data_services_private(public_postgres)


def test_a_public_postgres_is_caught_by_the_policy_pack(public_postgres: Deployment):
    assert policy_violations(public_postgres) == [
        (
            "no-public-data-access",
            "postgres-server: PostgreSQL publicNetworkAccess must be Disabled",
        )
    ]
