"""``GitCheckout`` on real git: local_git bare repositories, and the forges' smart HTTP endpoint.

The checkout is a shallow fetch of one commit: real files (executable bits, symlinks, binaries),
LFS pointers as committed, the token only ever in an HTTP header, never a REST call per file.
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.adapters.scm.azure_devops.session import ADO_SCOPE
from shared.adapters.scm.git_checkout import GitCheckout, clone_source
from shared.domain.errors import CheckoutTooLarge, CheckoutUnsupported, ScmAuthError, ScmNotFound
from shared.domain.scm import ScmAuth, ScmConnection
from shared.domain.task import Provider
from shared.ports.checkout import CheckoutLimits
from shared.ports.secrets import FakeSecretStore
from tests.integration.scm.azure_devops_server import AdoEmulator
from tests.integration.scm.forge import Forge
from tests.integration.scm.github_server import GithubEmulator
from tests.integration.scm.gitrepo import git, make_bare_repo
from tests.integration.scm.test_azure_devops import StaticCredential

TOKEN = "ghp_" + base64.b32encode(os.urandom(15)).decode().lower()
LFS_POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    b"size 12345\n"
)


def _local(tmp_path: Path, files) -> tuple[GitCheckout, str]:
    root = tmp_path / "git"
    bare = make_bare_repo(root / "demo.git", files)
    commit = git(bare, "rev-parse", "main").decode().strip()
    connection = ScmConnection("acme", Provider.LOCAL_GIT, "demo", base_url=str(root))
    return GitCheckout("acme", clone_source(connection, None, None)), commit


def test_local_git_checkout_has_real_files_and_leaves_lfs_pointers(tmp_path: Path) -> None:
    files = [
        ("src/app.py", b"print('hi')\n", "100644"),
        ("bin/run.sh", b"#!/bin/sh\necho run\n", "100755"),
        ("assets/logo.png", b"\x89PNG\x00\x01binary", "100644"),
        ("assets/big.psd", LFS_POINTER, "100644"),
        (".gitattributes", b"*.psd filter=lfs diff=lfs merge=lfs -text\n", "100644"),
        ("link", b"src/app.py", "120000"),
    ]
    checkout, commit = _local(tmp_path, files)
    done = checkout.check_out("acme", commit, tmp_path / "ws", CheckoutLimits())
    root = done.root
    assert (root / "src/app.py").read_text() == "print('hi')\n"
    assert os.access(root / "bin/run.sh", os.X_OK) and not os.access(root / "src/app.py", os.X_OK)
    assert (root / "assets/logo.png").read_bytes() == b"\x89PNG\x00\x01binary"
    assert (root / "assets/big.psd").read_bytes() == LFS_POINTER
    assert (root / "link").is_symlink() and os.readlink(root / "link") == "src/app.py"
    assert (done.files, done.sparse) == (6, False)
    shallow = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--is-shallow-repository", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shallow == ["true", commit]


def test_over_the_file_limit_is_too_large_unless_sparse_paths_are_given(tmp_path: Path) -> None:
    files = {f"pkg{i % 4}/m{i}.py": b"x = 1\n" for i in range(200)}
    checkout, commit = _local(tmp_path, files)
    with pytest.raises(CheckoutTooLarge):
        checkout.check_out("acme", commit, tmp_path / "a", CheckoutLimits(max_files=100))
    sparse = CheckoutLimits(max_files=100, sparse=("/pkg1/",))
    done = checkout.check_out("acme", commit, tmp_path / "b", sparse)
    assert done.sparse and done.files == 50
    assert sorted({p.parent.name for p in done.root.rglob("*.py")}) == ["pkg1"]


def test_a_commit_that_does_not_exist_is_not_found(tmp_path: Path) -> None:
    checkout, _ = _local(tmp_path, {"a.txt": b"a"})
    with pytest.raises(ScmNotFound):
        checkout.check_out("acme", "0" * 40, tmp_path / "ws", CheckoutLimits())


@pytest.fixture
def github(tmp_path: Path):
    forge = Forge({"src/app.py": b"print('hi')\n", "README.md": b"# demo\n"})
    emulator = GithubEmulator("octo", "demo", forge, TOKEN)
    with emulator.server.running():
        yield emulator


def _remote(emulator: GithubEmulator, token: str) -> GitCheckout:
    connection = ScmConnection(
        "acme", Provider.GITHUB, "octo/demo", base_url=emulator.api_url, token_secret="gh"
    )
    secrets = FakeSecretStore({("acme", "gh"): token})
    return GitCheckout("acme", clone_source(connection, secrets, None))


def test_github_checkout_sends_the_token_only_as_a_header(
    github: GithubEmulator, tmp_path: Path
) -> None:
    commit = github.forge.branches["main"]
    done = _remote(github, TOKEN).check_out("acme", commit, tmp_path / "ws", CheckoutLimits())
    assert (done.root / "src/app.py").read_text() == "print('hi')\n"
    git_calls = github.server.calls(pattern=r"^/octo/demo\.git/")
    assert git_calls and all(TOKEN not in call.raw_path for call in git_calls)
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert {call.headers.get("authorization") for call in git_calls} == {expected}
    assert github.server.calls(pattern="/api/v3/") == []  # no file-by-file REST reads
    on_disk = b"".join(p.read_bytes() for p in (done.root / ".git").rglob("*") if p.is_file())
    assert TOKEN.encode() not in on_disk


def test_github_checkout_with_a_wrong_token_is_an_auth_error_that_never_echoes_it(
    github: GithubEmulator, tmp_path: Path
) -> None:
    wrong = "ghp_wrong" + TOKEN[9:]
    with pytest.raises(ScmAuthError) as caught:
        _remote(github, wrong).check_out(
            "acme", github.forge.branches["main"], tmp_path / "ws", CheckoutLimits()
        )
    assert wrong not in caught.value.message


def test_a_twenty_thousand_file_repository_is_checked_out_within_bounds(tmp_path: Path) -> None:
    """Generous bounds (timing is in ``benchmarks.checkout``): every file, no API, < 200 MiB."""
    files = {
        f"pkg{i % 50:02d}/sub{i % 7}/module_{i:05d}.py": b"x = 1\n" * 60 for i in range(20_000)
    }
    forge = Forge(files)
    emulator = GithubEmulator("octo", "demo", forge, TOKEN)
    with emulator.server.running():
        checkout = _remote(emulator, TOKEN)
        done = checkout.check_out("acme", forge.branches["main"], tmp_path / "ws", CheckoutLimits())
        rest_calls = emulator.server.calls(pattern="/api/v3/")
    assert done.files == 20_000 and rest_calls == []
    used = sum(p.stat().st_blocks * 512 for p in done.root.rglob("*") if not p.is_symlink())
    assert used < 200 * 1024 * 1024


def test_a_github_app_connection_checks_out_with_an_installation_token(
    github: GithubEmulator, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    github.app = (4242, public.decode())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    connection = ScmConnection(
        "acme",
        Provider.GITHUB,
        "octo/demo",
        base_url=github.api_url,
        token_secret="app-key",
        auth=ScmAuth.GITHUB_APP,
        options={"app_id": "4242", "installation_id": "77"},
    )
    source = clone_source(connection, FakeSecretStore({("acme", "app-key"): pem}), None)
    done = GitCheckout("acme", source).check_out(
        "acme", github.forge.branches["main"], tmp_path / "ws", CheckoutLimits()
    )
    assert (done.root / "README.md").read_text() == "# demo\n"
    assert len(github.server.calls("POST", r"/app/installations/77/access_tokens$")) == 1
    expected = "Basic " + base64.b64encode(b"x-access-token:ghs_installation77").decode()
    assert {c.headers["authorization"] for c in github.server.calls(pattern=r"\.git/")} == {
        expected
    }


def test_credentials_git_cannot_use_are_unsupported_not_a_failure(tmp_path: Path) -> None:
    connection = ScmConnection(
        "acme", Provider.GITLAB, "group/calc", base_url="https://gitlab.example", auth=ScmAuth.ENTRA
    )
    checkout = GitCheckout("acme", clone_source(connection, FakeSecretStore(), None))
    with pytest.raises(CheckoutUnsupported, match="entra"):
        checkout.check_out("acme", "a" * 40, tmp_path / "ws", CheckoutLimits())


def test_an_azure_devops_entra_connection_checks_out_with_a_bearer_token(tmp_path: Path) -> None:
    forge = Forge({"src/app.py": b"print('hi')\n"})
    emulator = AdoEmulator("contoso", "Fabrikam", "calc", forge, "unused-pat")
    emulator.auth.add("Bearer entra-access-token")
    connection = ScmConnection(
        "acme", Provider.AZURE_DEVOPS, "Fabrikam/calc", emulator.org_url, auth=ScmAuth.ENTRA
    )
    credential = StaticCredential()
    source = clone_source(connection, FakeSecretStore(), None, credential)
    with emulator.server.running():
        done = GitCheckout("acme", source).check_out(
            "acme", forge.branches["main"], tmp_path / "ws", CheckoutLimits()
        )
        calls = emulator.server.calls(pattern=r"/_git/calc/")
    assert (done.root / "src/app.py").read_text() == "print('hi')\n"
    assert {c.headers["authorization"] for c in calls} == {"Bearer entra-access-token"}
    assert credential.scopes[0] == (ADO_SCOPE,)


def test_git_never_reaches_a_repository_enclosing_the_workspace(tmp_path: Path) -> None:
    """Workspaces live under the data directory, which may sit inside a git checkout (devhost's
    does): without its own .git, a workspace's git must fail, not fetch into or check out over
    the enclosing repository."""
    outer = tmp_path / "outer"
    outer.mkdir()
    for args in (("init", "-q"), ("commit", "-q", "--allow-empty", "-m", "outer")):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=outer, check=True
        )
    head = git(outer / ".git", "rev-parse", "HEAD")
    checkout, commit = _local(tmp_path, [("src/app.py", b"x = 1\n", "100644")])
    workspace = outer / ".devhost" / "work" / "ws"
    done = checkout.check_out("acme", commit, workspace, CheckoutLimits())
    assert (done.root / "src/app.py").read_text() == "x = 1\n"

    bare = outer / ".devhost" / "work" / "no-repo"
    bare.mkdir()
    with pytest.raises(Exception, match="not a git repository"):
        checkout._git(bare, None, "checkout", "-q", "--detach", "FETCH_HEAD")
    assert git(outer / ".git", "rev-parse", "HEAD") == head
    assert not (outer / ".git" / "shallow").exists()
