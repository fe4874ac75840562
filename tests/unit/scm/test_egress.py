"""The SCM egress policy: base URLs reaching private addresses are refused (SSRF guard)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.scm import ScmFactory
from shared.adapters.scm.egress import CODE, EgressPolicy, parse_allowed_hosts
from shared.domain.errors import InvalidInput
from shared.domain.scm import ReadLimits, ScmConnection
from shared.domain.task import Provider

PUBLIC = "140.82.112.6"


class Dns:
    """A resolver whose answers the test changes (DNS rebinding), counting lookups."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError("no such host")
        return self.answers[host]


def refused(policy: EgressPolicy, url: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        policy.check(url)
    assert caught.value.code == CODE
    return caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "https://127.0.0.1:5432/",  # the platform's own database on loopback
        "https://10.1.2.3/",
        "https://172.16.0.9/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",  # carrier-grade NAT
        "https://0.0.0.0/",
        "https://[::1]/",  # IPv6 loopback
        "https://[fd12:3456::1]/",  # IPv6 unique local
        "https://[fe80::1]/",  # IPv6 link-local
        "https://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    ],
)
def test_literal_private_addresses_are_refused(url):
    refused(EgressPolicy(resolve=Dns({})), url)


def test_a_hostname_resolving_to_loopback_is_refused_and_one_to_a_public_address_passes():
    dns = Dns({"git.evil.example": ["127.0.0.1"], "mixed.example": [PUBLIC, "10.0.0.1"]})
    dns.answers["github.example"] = [PUBLIC]
    policy = EgressPolicy(resolve=dns)
    assert "non-public" in refused(policy, "https://git.evil.example/api")
    refused(policy, "https://mixed.example/")  # one private answer is enough to refuse
    policy.check("https://github.example/api/v3")
    refused(policy, "https://unknown.example/")  # not resolvable: refused, not a 500


def test_the_real_resolver_refuses_localhost():
    assert "non-public" in refused(EgressPolicy(), "https://localhost:7071/")


@pytest.mark.parametrize("url", ["ftp://github.example/", "file:///etc/passwd", "https:///x"])
def test_only_http_urls_with_a_host(url):
    refused(EgressPolicy(resolve=Dns({"github.example": [PUBLIC]})), url)


def test_https_only_in_azure():
    dns = Dns({"github.example": [PUBLIC]})
    assert "https" in refused(
        EgressPolicy(require_https=True, resolve=dns), "http://github.example"
    )
    EgressPolicy(require_https=True, resolve=dns).check("https://github.example")
    EgressPolicy(resolve=dns).check("http://github.example")


def test_the_operator_allow_list_admits_hosts_and_ports_without_resolving():
    dns = Dns({})
    allowed = parse_allowed_hosts(" 127.0.0.1:8080, *.corp.example ,[::1],, ")
    assert allowed == ("127.0.0.1:8080", "*.corp.example", "[::1]")
    policy = EgressPolicy(allowed_hosts=allowed, resolve=dns)
    policy.check("http://127.0.0.1:8080/api/v3")
    policy.check("https://git.CORP.example/")
    policy.check("https://[::1]:8443/")
    assert dns.asked == []
    refused(policy, "http://127.0.0.1:8081/")  # another port of the same host is not listed
    refused(policy, "http://169.254.169.254/")


def _factory(policy: EgressPolicy) -> ScmFactory:
    def unused():
        raise AssertionError("only local_git touches the database")

    return ScmFactory(
        limits=ReadLimits(),
        timeout_s=1.0,
        local_git_root=Path("."),
        db=unused,
        tenants=unused,
        egress=policy,
    )


def test_each_use_resolves_again_so_a_rebound_name_is_refused_at_connect_time():
    dns = Dns({"scm.example": [PUBLIC]})
    factory = _factory(EgressPolicy(resolve=dns))
    connection = ScmConnection("acme", Provider.GITHUB, "o/r", "https://scm.example/api", "tok")
    factory.for_connection(connection, secrets=None)  # type: ignore[arg-type]
    dns.answers["scm.example"] = ["169.254.169.254"]  # re-pointed after registration
    with pytest.raises(InvalidInput) as caught:
        factory.for_connection(connection, secrets=None)  # type: ignore[arg-type]
    assert caught.value.code == CODE and dns.asked == ["scm.example", "scm.example"]


def test_local_git_paths_are_no_request_targets():
    factory = _factory(EgressPolicy(resolve=Dns({})))
    factory.check_egress(ScmConnection("acme", Provider.LOCAL_GIT, "o/r", "/srv/git", None))
