"""``RepositoryCheckout`` with git itself, for every provider: a shallow fetch of one commit.

One ``git fetch --depth 1`` of the commit into a fresh repository, then a checkout, replaces
reading the tree file by file through the SCM's REST API. Remote repositories are fetched as
partial clones (``--filter=blob:none``): trees first, so the file count is known before any
content is downloaded; a repository over ``max_files`` is checked out sparsely (only
``limits.sparse``) or refused. ``local_git`` repositories are fetched from their bare repository.

Tokens: the connection's token, or for a GitHub App a fresh installation token. The token
travels as an ``http.extraHeader`` handed to git through ``GIT_CONFIG_COUNT``
environment variables of that one git process: never in the URL, ``.git/config``, the command
line (``ps``) or a message. git runs with no system or global config (no host credential helper,
no hooks) and Git LFS smudging off, so LFS files stay pointers.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shared.adapters.scm.azure_devops.session import ADO_SCOPE, AdoSession, TokenCredential
from shared.adapters.scm.connection import BoundConnection
from shared.adapters.scm.local_git.adapter import repository_path
from shared.domain.errors import (
    CheckoutTooLarge,
    CheckoutUnsupported,
    ConfigurationError,
    ScmAuthError,
    ScmNotFound,
    ScmUnavailable,
)
from shared.domain.scm import ScmAuth, ScmConnection
from shared.domain.task import Provider
from shared.ports.checkout import Checkout, CheckoutLimits, RepositoryCheckout
from shared.ports.secrets import SecretStore

GITHUB_API = "https://api.github.com"
GITLAB_URL = "https://gitlab.com"
_AUTH_FAILED = ("authentication failed", "401", "403", "could not read username")
_NOT_FOUND = ("not our ref", "couldn't find remote ref", "not found", "does not appear")


@dataclass(frozen=True)
class CloneSource:
    """Where to fetch from, and how to build the Authorization header (None: no auth)."""

    url: str
    authorization: Callable[[str], str | None]
    partial: bool = True


def _basic(user: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


def clone_source(
    connection: ScmConnection,
    secrets: SecretStore | None,
    local_git_root: Path | None,
    azure_credential: TokenCredential | None = None,
) -> CloneSource:
    """The fetch URL and credentials of ``connection`` (no I/O; the secret is read on use)."""
    bound = BoundConnection(connection, secrets)
    if connection.provider is Provider.LOCAL_GIT:
        root = Path(connection.base_url) if connection.base_url else local_git_root
        if root is None:
            raise ConfigurationError("a local_git connection needs base_url or a root")
        path = repository_path(root, connection.repository)
        return CloneSource(str(path), lambda _tenant: None, partial=False)
    owner, name = bound.repository_parts()
    if connection.provider is Provider.GITHUB:
        api = (connection.base_url or GITHUB_API).rstrip("/")
        web = "https://github.com" if api == GITHUB_API else api.removesuffix("/api/v3")
        url = f"{web}/{owner}/{name}.git"
        if connection.auth is ScmAuth.GITHUB_APP:
            return CloneSource(url, lambda t: _basic("x-access-token", _installation(bound, t)))
        return CloneSource(url, lambda t: _basic("x-access-token", bound.secret(t)))
    if connection.provider is Provider.AZURE_DEVOPS:
        return _azure_devops(connection, secrets, azure_credential)
    if connection.auth is not ScmAuth.TOKEN:
        return CloneSource("", _unsupported(connection.auth))
    url = f"{(connection.base_url or GITLAB_URL).rstrip('/')}/{owner}/{name}.git"
    return CloneSource(url, lambda t: _basic("oauth2", bound.secret(t)))


def _azure_devops(
    connection: ScmConnection, secrets: SecretStore | None, credential: TokenCredential | None
) -> CloneSource:
    """A PAT as basic auth, or an Entra ID access token as a bearer (``ScmAuth.ENTRA``)."""
    if secrets is None:
        raise ConfigurationError("an Azure DevOps checkout needs the secret store")
    session = AdoSession(connection, secrets, credential=credential)  # builds, no I/O
    url = f"{session.base_url}/{quote(session.project)}/_git/{quote(session.repository)}"
    if connection.auth is not ScmAuth.ENTRA:
        return CloneSource(url, lambda t: _basic("", session.bound.secret(t)))

    def bearer(tenant: str) -> str:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            token = session.entra_credential(tenant).get_token(ADO_SCOPE)
            return f"Bearer {token.token}"
        except ClientAuthenticationError as exc:
            raise ScmAuthError("Azure DevOps: no Entra ID token for the checkout") from exc

    return CloneSource(url, bearer)


def _unsupported(auth: ScmAuth) -> Callable[[str], str | None]:
    def refuse(_tenant: str) -> str | None:
        raise CheckoutUnsupported(f"git checkout with {auth.value} credentials is not supported")

    return refuse


def _installation(bound: BoundConnection, tenant: str) -> str:
    """A GitHub App installation token (minted per checkout; it lives an hour)."""
    from github import Auth, GithubException, GithubIntegration

    api = (bound.connection.base_url or GITHUB_API).rstrip("/")
    app = Auth.AppAuth(int(bound.option("app_id")), bound.secret(tenant))
    integration = GithubIntegration(auth=app, base_url=api, retry=None)
    try:
        return integration.get_access_token(int(bound.option("installation_id"))).token
    except GithubException as exc:
        raise ScmAuthError(f"GitHub App installation token refused ({exc.status})") from exc


class GitCheckout(RepositoryCheckout):
    def __init__(self, tenant: str, source: CloneSource, *, timeout_s: float = 600.0) -> None:
        self._tenant = tenant
        self._source = source
        self._timeout_s = timeout_s

    def check_out(
        self, tenant: str, commit: str, destination: Path, limits: CheckoutLimits
    ) -> Checkout:
        if tenant != self._tenant:
            raise ConfigurationError(f"checkout of tenant {self._tenant!r} used for {tenant!r}")
        header = self._source.authorization(tenant)
        self._git(destination, None, "init", "-q", ".")
        fetch = ["fetch", "-q", "--no-tags", "--depth", "1"]
        if self._source.partial:
            fetch.append("--filter=blob:none")
        self._git(destination, header, *fetch, self._source.url, commit)
        names = self._git(destination, None, "ls-tree", "-r", "-z", "--name-only", "FETCH_HEAD")
        count = names.count(b"\0")
        sparse = count > limits.max_files
        if sparse and not limits.sparse:
            raise CheckoutTooLarge(f"{count} files; the limit is {limits.max_files}")
        if sparse:
            self._git(destination, None, "sparse-checkout", "set", "--no-cone", *limits.sparse)
        self._git(destination, header, "checkout", "-q", "--detach", "FETCH_HEAD")
        files, size = _measure(destination)
        if size > limits.max_bytes or files > limits.max_files:
            raise CheckoutTooLarge(f"{files} files, {size} bytes checked out: over the limits")
        return Checkout(destination, files, size, sparse)

    def _git(self, cwd: Path, header: str | None, *args: str) -> bytes:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(cwd),
            # The workspace's own repository and nothing else: were its .git missing, git would
            # otherwise walk up and fetch into, or check out over, an enclosing repository (a
            # data directory inside a git checkout, as devhost's is by default).
            "GIT_CEILING_DIRECTORIES": str(cwd.resolve().parent),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "GIT_ASKPASS": "/bin/false",
        }
        config = [
            ("advice.detachedHead", "false"),
            ("filter.lfs.smudge", ""),
            ("filter.lfs.process", ""),
            ("filter.lfs.required", "false"),
            ("core.hooksPath", os.devnull),
            ("protocol.file.allow", "always"),
        ]
        if header is not None:
            config.append(("http.extraHeader", f"Authorization: {header}"))
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for index, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"] = key, value
        cwd.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(  # fixed git argv, no shell
                ["git", *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self._timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ScmUnavailable(f"git {args[0]} did not finish in {self._timeout_s:g} s") from exc
        if done.returncode != 0:
            raise _git_error(args[0], done.stderr.decode("utf-8", "replace"), header)
        return done.stdout


def _git_error(command: str, stderr: str, header: str | None) -> Exception:
    if header:
        stderr = stderr.replace(header, "***")
    message = f"git {command} failed: {stderr.strip()[-500:]}"
    lowered = stderr.lower()
    if any(sign in lowered for sign in _AUTH_FAILED):
        return ScmAuthError(message)
    if any(sign in lowered for sign in _NOT_FOUND):
        return ScmNotFound(message)
    return ScmUnavailable(message)


def _measure(root: Path) -> tuple[int, int]:
    files = size = 0
    for directory, dirs, names in os.walk(root):
        if directory == str(root):
            dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            files += 1
            size += os.lstat(os.path.join(directory, name)).st_size
    return files, size
