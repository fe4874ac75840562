"""SCM adapters and the one place that picks them: ``scm_for(connection, ...)``.

Each provider package imports its SDK lazily, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.adapters.scm.azure_devops import TokenCredential, azure_devops_scm
from shared.adapters.scm.egress import EgressPolicy
from shared.adapters.scm.github import github_scm
from shared.adapters.scm.gitlab import gitlab_scm
from shared.adapters.scm.local_git import local_git_scm
from shared.adapters.scm.traced import traced_scm
from shared.adapters.store.postgres.database import Database
from shared.domain.errors import ConfigurationError
from shared.domain.scm import ReadLimits, ScmConnection
from shared.domain.task import Provider
from shared.ports.scm import Scm
from shared.ports.secrets import SecretStore
from shared.ports.tenants import TenantDirectory


def scm_for(
    connection: ScmConnection,
    secrets: SecretStore,
    *,
    limits: ReadLimits | None = None,
    timeout_s: float = 30.0,
    db: Database | None = None,
    tenants: TenantDirectory | None = None,
    local_git_root: Path | None = None,
    azure_credential: TokenCredential | None = None,
) -> Scm:
    """The five SCM capabilities of ``connection``. Builds objects only (no I/O): credentials are
    read from ``secrets`` on first use. local_git needs ``db`` and ``tenants`` (its records live
    in the tenant's schema) and a root for relative repository paths."""
    limits = limits or ReadLimits()
    if connection.provider is Provider.GITHUB:
        return github_scm(connection, secrets, limits, timeout_s)
    if connection.provider is Provider.GITLAB:
        return gitlab_scm(connection, secrets, limits, timeout_s)
    if connection.provider is Provider.AZURE_DEVOPS:
        return azure_devops_scm(connection, secrets, limits, timeout_s, azure_credential)
    if db is None or tenants is None:
        raise ConfigurationError("local_git needs the database and the tenant directory")
    if local_git_root is None and not connection.base_url:
        raise ConfigurationError("a local_git connection needs base_url or SCM_LOCAL_GIT_ROOT")
    return local_git_scm(connection, db, tenants, limits, local_git_root or Path())


class ScmFactory:
    """``scm_for`` with the process's settings bound: what ``Container.scm`` hands out.

    local_git repositories without an explicit ``base_url`` live under ``<root>/<tenant>/``, so
    two tenants naming the same repository never share one on disk.

    The database and tenant directory are passed as getters so that building the factory opens
    nothing; only a local_git connection touches them.

    Every network connection's ``base_url`` passes ``egress`` each time its SCM is built (the
    address is resolved again: a name re-pointed at a private address since registration is
    refused now).
    """

    def __init__(
        self,
        *,
        limits: ReadLimits,
        timeout_s: float,
        local_git_root: Path,
        db: Callable[[], Database],
        tenants: Callable[[], TenantDirectory],
        egress: EgressPolicy,
    ) -> None:
        self._limits = limits
        self._timeout_s = timeout_s
        self._root = local_git_root
        self._db = db
        self._tenants = tenants
        self._egress = egress

    def check_egress(self, connection: ScmConnection) -> None:
        """Refuse (``base-url-not-allowed``) a network connection whose base_url the policy
        does not allow; local_git's base_url is a path on this machine, not a request target."""
        if connection.provider is not Provider.LOCAL_GIT and connection.base_url:
            self._egress.check(connection.base_url)

    def local_git_root(self, tenant: str) -> Path:
        """Where the tenant's local_git repositories live (without an explicit base_url)."""
        return self._root / tenant

    def for_connection(self, connection: ScmConnection, secrets: SecretStore) -> Scm:
        """The connection's SCM, every call traced (``traced.traced_scm``)."""
        self.check_egress(connection)
        local = connection.provider is Provider.LOCAL_GIT
        scm = scm_for(
            connection,
            secrets,
            limits=self._limits,
            timeout_s=self._timeout_s,
            db=self._db() if local else None,
            tenants=self._tenants() if local else None,
            local_git_root=self.local_git_root(connection.tenant),
        )
        return traced_scm(scm, connection)


__all__ = ["ScmFactory", "scm_for"]
