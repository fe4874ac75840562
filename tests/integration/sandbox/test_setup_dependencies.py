"""End to end through the validation step: a check that needs a dependency ``setup:`` installs.

A local_git repository whose tests import ``greetlib``, a package that exists only on a package
index served here on 127.0.0.1 (pip's ``--find-links``, as a private index would be). The
validation step checks the repository out, applies the model's patch, runs ``setup:`` in the
sandbox with the setup network, caches what it installed by the lock file's hash, and runs the
check with no network. Without network for setup, the same repository fails with a message that
says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.sandbox.local import LocalSandbox
from shared.adapters.scm.git_checkout import GitCheckout, clone_source
from shared.domain.scm import ScmConnection
from shared.domain.task import Provider
from shared.policies.agent_config import parse_repo_config, plan_for
from shared.ports.sandbox import NetworkPolicy
from shared.services.patch_flow.validation import validate_proposal
from tests.integration.scm.gitrepo import git, make_bare_repo
from tests.support.package_index import serving_package_index
from tests.support.validation_deps import validation_deps

AGENT_YML = """\
check_command: python3 -m unittest -v
setup:
  - python3 -m pip install -q --no-cache-dir --no-index -f {index} -t .deps -r requirements.txt
setup_cache: [.deps]
"""
TEST_APP = """\
import sys, unittest
sys.path.insert(0, ".deps")
from app import hello

class HelloTest(unittest.TestCase):
    def test_hello_greets_the_world(self):
        self.assertEqual(hello(), "hello world")
"""
PATCH = """\
--- a/app.py
+++ b/app.py
@@ -1,2 +1,5 @@
+from greetlib import greet
+
+
 def hello():
-    return "hi"
+    return greet("world")
"""


@pytest.fixture
def package_index(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    with serving_package_index(tmp_path / "index") as index:
        yield index.url, index.requested


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    box = LocalSandbox()
    if (reason := box.unavailable_reason()) is not None:
        pytest.skip(reason)
    return box


def _flow(tmp_path: Path, index: str, sandbox: LocalSandbox, network: NetworkPolicy):
    root = tmp_path / "git"
    files = {
        ".agent.yml": AGENT_YML.format(index=index).encode(),
        "requirements.txt": b"greetlib==1.0\n",
        "app.py": b'def hello():\n    return "hi"\n',
        "test_app.py": TEST_APP.encode(),
    }
    bare = make_bare_repo(root / "hello.git", files)
    commit = git(bare, "rev-parse", "main").decode().strip()
    connection = ScmConnection("acme", Provider.LOCAL_GIT, "hello", base_url=str(root))
    deps = validation_deps(
        tmp_path,
        connection=connection,
        checkout_for=lambda c: GitCheckout("acme", clone_source(c, None, None)),
        sandbox=sandbox,
        setup_network=network,
    )
    plan = plan_for({}, parse_repo_config(files[".agent.yml"].decode()))
    task = {"tenant": "acme", "provider": "local_git", "repository": "hello"}

    def validate() -> dict[str, Any]:
        proposal = {"answer": PATCH, "format": "udiff"}
        return validate_proposal(deps, task, plan, commit, proposal)

    return validate, deps


def test_setup_installs_the_dependency_and_the_check_passes_then_hits_the_cache(
    tmp_path: Path, package_index: tuple[str, list[str]], sandbox: LocalSandbox
) -> None:
    index, requested = package_index
    validate, deps = _flow(tmp_path, index, sandbox, NetworkPolicy.SETUP)
    first = validate()
    assert first["ok"], first
    assert first["check"]["state"] == "passed" and not first["check"]["setup_cached"]
    assert "Ran 1 test" in first["check"]["output_tail"]
    assert any("greetlib-1.0-py3-none-any.whl" in path for path in requested)
    assert list((deps.work_dir / "acme").iterdir()) == []  # the workspace is gone

    requested.clear()
    second = validate()  # the next attempt: same lock file, setup restored from the cache
    assert second["ok"] and second["check"]["setup_cached"] and requested == []


def test_without_network_for_setup_the_check_fails_and_says_why(
    tmp_path: Path, package_index: tuple[str, list[str]], sandbox: LocalSandbox
) -> None:
    index, requested = package_index
    validate, _ = _flow(tmp_path, index, sandbox, NetworkPolicy.NONE)
    outcome = validate()
    assert not outcome["ok"] and outcome["setup_failed"]
    assert outcome["summary"].startswith("setup: the setup command exited with 1.")
    assert "Setup ran without network" in outcome["summary"]
    assert outcome["check"]["state"] == "failed" and outcome["check"]["phase"] == "setup"
    assert "Setup ran without network" in outcome["feedback"]
    assert "No matching distribution found for greetlib" in outcome["feedback"]
    assert requested == []
