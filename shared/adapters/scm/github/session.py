"""One GitHub (or GitHub Enterprise) repository through PyGithub, with errors mapped at the edge.

PyGithub is imported here only, inside methods, so that importing the app stays fast. The client
is built on first use with ``retry=None`` (no urllib3 retries) and no request throttling: the
orchestrator owns retries and pacing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from shared.adapters.scm.connection import BoundConnection
from shared.adapters.scm.errors import http_error, transport_error
from shared.domain.errors import InvalidInput
from shared.domain.scm import ScmAuth, ScmConnection
from shared.domain.task import SourceKind
from shared.ports.secrets import SecretStore

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

DEFAULT_API_URL = "https://api.github.com"


class GithubSession:
    """The lazily built PyGithub repository of a connection."""

    def __init__(
        self,
        connection: ScmConnection,
        secrets: SecretStore,
        *,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bound = BoundConnection(connection, secrets)
        self.owner, self.name = self.bound.repository_parts()
        self._timeout_s = timeout_s
        self._clock = clock
        self._repo: Repository | None = None
        self._client: Github | None = None

    def repo(self, tenant: str) -> Repository:
        self.bound.check(tenant)
        if self._repo is None:
            from github import Auth, Github

            secret = self.bound.secret(tenant)
            auth: Auth.Auth
            if self.bound.connection.auth is ScmAuth.GITHUB_APP:
                app = Auth.AppAuth(int(self.bound.option("app_id")), secret)
                auth = app.get_installation_auth(int(self.bound.option("installation_id")))
            else:
                auth = Auth.Token(secret)
            client = Github(
                base_url=(self.bound.connection.base_url or DEFAULT_API_URL).rstrip("/"),
                auth=auth,
                timeout=int(self._timeout_s),
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
                per_page=100,
            )
            self._client = client
            self._repo = client.get_repo(f"{self.owner}/{self.name}", lazy=True)
        return self._repo

    def client(self, tenant: str) -> Github:
        """The PyGithub client the repository was built with."""
        self.repo(tenant)
        assert self._client is not None
        return self._client

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Map PyGithub and transport failures of ``action`` to domain errors."""
        import requests
        from github import GithubException

        try:
            yield
        except GithubException as exc:
            data = exc.data
            detail = data.get("message", "") if isinstance(data, dict) else str(data or "")
            raise http_error(
                exc.status,
                dict(exc.headers or {}),
                f"GitHub {action}: {detail}".rstrip(": "),
                now=self._clock(),
            ) from exc
        except requests.RequestException as exc:
            raise transport_error(f"GitHub {action}", exc) from exc


def issue_number(kind: SourceKind, source_id: str) -> int:
    """Issues and pull requests share GitHub's issue numbers (and comment endpoints)."""
    if kind not in (SourceKind.ISSUE, SourceKind.PULL_REQUEST):
        raise InvalidInput(f"GitHub has no {kind}", code="scm-unsupported-kind")
    if not source_id.isdigit():
        raise InvalidInput(f"GitHub issue numbers are digits, not {source_id!r}")
    return int(source_id)
