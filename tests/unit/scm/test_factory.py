"""``scm_for`` and ``Container.scm``: the right adapters, built without any I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.scm import ScmFactory, scm_for
from shared.adapters.scm.azure_devops import AdoReader, AdoWriter
from shared.adapters.scm.github import GithubReader, GithubWriter
from shared.adapters.scm.gitlab import GitlabReader, GitlabWriter
from shared.adapters.scm.local_git import LocalGitReader, LocalGitWriter
from shared.adapters.secrets.local import LocalSecretStore
from shared.bootstrap import Container
from shared.config import Settings
from shared.domain.errors import ConfigurationError, PermissionDenied
from shared.domain.scm import ScmConnection
from shared.domain.task import Provider


class _Unused:
    """Stands in for the database / tenant directory where nothing may be touched."""


@pytest.mark.parametrize(
    ("provider", "base_url", "reader", "writer"),
    [
        (Provider.GITHUB, None, GithubReader, GithubWriter),
        (Provider.GITLAB, None, GitlabReader, GitlabWriter),
        (Provider.AZURE_DEVOPS, "https://dev.azure.com/contoso", AdoReader, AdoWriter),
    ],
)
def test_each_saas_provider_gets_its_adapters_and_reads_no_secret_yet(
    tmp_path: Path, provider, base_url, reader, writer
) -> None:
    connection = ScmConnection("acme", provider, "owner/repo", base_url, "token-name")
    scm = scm_for(connection, LocalSecretStore(tmp_path))  # the secret does not even exist

    assert isinstance(scm.source, reader) and scm.repository is scm.source
    assert isinstance(scm.branches, writer) and scm.pull_requests is scm.comments is scm.branches
    with pytest.raises(ConfigurationError, match="missing from the secret store"):
        scm.repository.default_branch("acme")
    with pytest.raises(PermissionDenied):
        scm.repository.default_branch("other-tenant")


def test_local_git_needs_the_database_and_a_root(tmp_path: Path) -> None:
    connection = ScmConnection("acme", Provider.LOCAL_GIT, "demo")
    with pytest.raises(ConfigurationError):
        scm_for(connection, LocalSecretStore(tmp_path))
    with pytest.raises(ConfigurationError):
        scm_for(connection, LocalSecretStore(tmp_path), db=_Unused(), tenants=_Unused())
    scm = scm_for(
        connection,
        LocalSecretStore(tmp_path),
        db=_Unused(),
        tenants=_Unused(),
        local_git_root=tmp_path,
    )
    assert isinstance(scm.source, LocalGitReader) and isinstance(scm.branches, LocalGitWriter)


def test_the_container_hands_out_a_factory_without_opening_the_database(tmp_path: Path) -> None:
    container = Container(Settings(data_dir=tmp_path, scm_max_file_bytes=4096))
    factory = container.scm

    assert isinstance(factory, ScmFactory)
    assert "db" not in container.__dict__  # nothing opened yet
    scm = factory.for_connection(
        ScmConnection("acme", Provider.GITHUB, "o/r", token_secret="t"), LocalSecretStore(tmp_path)
    )
    assert isinstance(scm.repository.traced, GithubReader)  # every call is traced
    assert "db" not in container.__dict__
