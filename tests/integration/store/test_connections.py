"""Tenants' SCM connections in ``platform.scm_connections``, found by what an event names."""

from __future__ import annotations

import pytest

from shared.adapters.store.postgres.connections import PostgresConnectionDirectory
from shared.domain.errors import NotFound
from shared.domain.scm import ScmAuth, ScmConnection
from shared.domain.task import Provider


def test_a_connection_is_found_by_the_provider_and_repository_of_the_event(db, new_tenant) -> None:
    tenant = new_tenant("conn").slug
    directory = PostgresConnectionDirectory(db)
    github = ScmConnection(
        tenant,
        Provider.GITHUB,
        "octo/demo",
        "https://ghe.example/api/v3",
        "github-token",
        ScmAuth.GITHUB_APP,
        {"app_id": "7", "installation_id": "77"},
    )
    directory.register(github)

    assert directory.get(tenant, "github", "octo/demo") == github
    with pytest.raises(NotFound):
        directory.get(tenant, "gitlab", "octo/demo")


def test_a_work_item_event_naming_its_project_finds_the_repository_it_changes(
    db, new_tenant
) -> None:
    tenant = new_tenant("conn").slug
    directory = PostgresConnectionDirectory(db)
    repos = ScmConnection(
        tenant, Provider.AZURE_DEVOPS, "Fabrikam/calc", "https://dev.azure.com/contoso", "ado-pat"
    )
    directory.register(repos, event_repository="Fabrikam")

    # A workitem.* event names only the team project; the connection says which repository.
    assert directory.get(tenant, "azure-devops", "Fabrikam") == repos
    with pytest.raises(NotFound):
        directory.get(tenant, "azure-devops", "Fabrikam/calc")


def test_github_events_may_be_served_by_a_local_git_repository(db, new_tenant) -> None:
    tenant = new_tenant("conn").slug
    directory = PostgresConnectionDirectory(db)
    local = ScmConnection(tenant, Provider.LOCAL_GIT, "demo/calc")
    directory.register(local, event_provider="github")

    assert directory.get(tenant, "github", "demo/calc") == local
