"""End to end on devhost: a repository whose check needs a dependency that ``setup:`` installs.

The demo repository, plus a test that imports ``greetlib``, a package served only by a private
index on 127.0.0.1, and an ``.agent.yml`` whose ``setup:`` installs it. A signed webhook starts
the flow; the validation step checks the repository out, runs setup in the sandbox with the
setup network, then the patched check with none; the check passes and the approval request
says so. (Setup without a network, failing with a clear message, is shown through the same
validation step in ``tests/integration/sandbox/test_setup_dependencies.py``.)
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

from shared.adapters.sandbox.local import LocalSandbox
from shared.adapters.store.postgres.tasks import get_task
from tests.support.devhost_task import comment_until_approval
from tests.support.package_index import serving_package_index
from tools.demo.scenario import (
    REPOSITORY,
    SAMPLE,
    prepare_tenant,
    seed_repository,
)

AGENT_YML = """\
allowed_paths: ["calc/**", "tests/**"]
setup:
  - python3 -m pip install -q --no-cache-dir --no-index -f {index} -t .deps -r requirements.txt
setup_cache: [.deps]
check_command: python3 -m unittest discover -s tests -t .
"""
GREET_TEST = """\
import sys
import unittest

sys.path.insert(0, ".deps")
from greetlib import greet  # noqa: E402  # installed by setup


class GreetTest(unittest.TestCase):
    def test_the_dependency_is_installed(self):
        self.assertEqual(greet("stats"), "hello stats")
"""


@pytest.fixture(scope="module", autouse=True)
def _isolating() -> None:
    if (reason := LocalSandbox().unavailable_reason()) is not None:
        pytest.skip(reason)


def test_a_check_that_needs_its_dependency_installed_by_setup_passes(app, http, tmp_path: Path):
    with serving_package_index(tmp_path / "index") as index:
        source = tmp_path / "repo"
        shutil.copytree(SAMPLE, source, ignore=shutil.ignore_patterns("__pycache__"))
        (source / ".agent.yml").write_text(AGENT_YML.format(index=index.url))
        (source / "requirements.txt").write_text("greetlib==1.0\n")
        (source / "tests" / "test_greet.py").write_text(GREET_TEST)
        tenant = prepare_tenant(
            app,
            f"e2e-{secrets.token_hex(3)}",
            llm_routes=[{"provider": "scripted", "model": "demo"}],
        )
        seed_repository(app.scm.local_git_root(tenant.slug), REPOSITORY, source)

        task_id = comment_until_approval(http.base_url, tenant, timeout=180)
        assert any("greetlib-1.0-py3-none-any.whl" in path for path in index.requested)

    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        record = get_task(tx, task_id)
    check = record.lineage["attempts"][-1]["check"]
    assert (check["state"], check["phase"], check["setup_cached"]) == ("passed", "check", False)
    assert (
        "test_the_dependency_is_installed" in check["output_tail"] or "OK" in check["output_tail"]
    )
