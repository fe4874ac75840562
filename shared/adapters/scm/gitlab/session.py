"""One GitLab project (gitlab.com or self-hosted) through python-gitlab, errors mapped at the edge.

python-gitlab is imported inside methods only. The client uses ``StrictBackend`` (no retries of
any kind, headers kept on failures) and ``retry_transient_errors=False``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from shared.adapters.scm.connection import BoundConnection
from shared.adapters.scm.errors import http_error, transport_error
from shared.domain.errors import InvalidInput, ScmConflict
from shared.domain.scm import ScmConnection
from shared.domain.task import SourceKind
from shared.ports.secrets import SecretStore

if TYPE_CHECKING:
    from gitlab import Gitlab
    from gitlab.v4.objects import Project, ProjectIssue, ProjectMergeRequest

DEFAULT_URL = "https://gitlab.com"


class GitlabSession:
    """The lazily built python-gitlab project of a connection.

    Tokens are sent as ``PRIVATE-TOKEN`` (personal, project and group access tokens) unless the
    connection's option ``token_type`` is ``oauth`` (then ``Authorization: Bearer``).
    """

    def __init__(
        self,
        connection: ScmConnection,
        secrets: SecretStore,
        *,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bound = BoundConnection(connection, secrets)
        self.bound.repository_parts()
        self._timeout_s = timeout_s
        self._clock = clock
        self._client: Gitlab | None = None
        self._project: Project | None = None

    def project(self, tenant: str) -> Project:
        self.bound.check(tenant)
        if self._project is None:
            import gitlab

            from shared.adapters.scm.gitlab.backend import StrictBackend

            token = self.bound.secret(tenant)
            oauth = self.bound.connection.options.get("token_type") == "oauth"
            self._client = gitlab.Gitlab(
                url=(self.bound.connection.base_url or DEFAULT_URL).rstrip("/"),
                private_token=None if oauth else token,
                oauth_token=token if oauth else None,
                timeout=self._timeout_s,
                retry_transient_errors=False,
                per_page=100,
                backend=StrictBackend,
            )
            self._project = self._client.projects.get(self.bound.connection.repository, lazy=True)
        return self._project

    def client(self, tenant: str) -> Gitlab:
        """The python-gitlab client the project was built with."""
        self.project(tenant)
        assert self._client is not None
        return self._client

    def fetch_project(self, tenant: str) -> Project:
        """The project with its attributes (one request)."""
        self.project(tenant)
        assert self._client is not None
        return self._client.projects.get(self.bound.connection.repository)

    def target(
        self, tenant: str, kind: SourceKind, source_id: str, *, lazy: bool = True
    ) -> ProjectIssue | ProjectMergeRequest:
        """The issue or merge request; ``lazy``: no request yet (enough to reach its notes)."""
        if not source_id.isdigit():
            raise InvalidInput(f"GitLab iids are digits, not {source_id!r}")
        project = self.project(tenant)
        if kind is SourceKind.ISSUE:
            return project.issues.get(int(source_id), lazy=lazy)
        if kind in (SourceKind.MERGE_REQUEST, SourceKind.PULL_REQUEST):
            return project.mergerequests.get(int(source_id), lazy=lazy)
        raise InvalidInput(f"GitLab has no {kind}", code="scm-unsupported-kind")

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Map python-gitlab, HTTP and transport failures of ``action`` to domain errors."""
        import requests
        from gitlab.exceptions import GitlabError

        from shared.adapters.scm.gitlab.backend import GitlabStatusError

        try:
            yield
        except GitlabStatusError as exc:
            message = f"GitLab {action}: {exc.message}"
            if exc.status == 400 and "already exists" in exc.message:
                raise ScmConflict(f"{message} (HTTP 400)") from exc
            raise http_error(exc.status, exc.headers, message, now=self._clock()) from exc
        except requests.RequestException as exc:
            raise transport_error(f"GitLab {action}", exc) from exc
        except GitlabError as exc:
            code = exc.response_code or 500
            raise http_error(code, {}, f"GitLab {action}: {exc.error_message}", now=0) from exc
