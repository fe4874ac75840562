"""devhost killed (SIGKILL) between the approval and the pull request, then restarted: the task
completes with exactly one PR and one comment (activities are at-least-once, their effects
idempotent). ``while-the-branch-is-pushed`` kills the host while the PR activity is running: a
``reference-transaction`` hook in the repository holds the branch update (already committed)
until the test has killed the host."""

from __future__ import annotations

import secrets
import subprocess
import time
from pathlib import Path

import pytest

from shared.adapters.scm.local_git import repository_path
from tests.e2e.patch_flow.conftest import AUDIENCE, REPO_ROOT
from tests.support.devhost_process import DevhostProcess
from tests.support.devhost_task import (
    approve,
    comment_until_approval,
    completed,
    delivered,
    wait_for,
)
from tools.demo.scenario import REPOSITORY, prepare_tenant


def _branch_exists(bare, branch: str) -> bool:
    result = subprocess.run(
        ["git", "-C", str(bare), "rev-parse", "--verify", "-q", branch],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _hold_agent_branches(bare: Path, gate: Path) -> None:
    """While ``gate/hold`` exists, an agent branch's update signals ``gate/started`` and waits
    (after its commit) until the file is gone."""
    hook = bare / "hooks" / "reference-transaction"
    hook.write_text(
        "#!/bin/sh\n"
        '[ "$1" = committed ] || exit 0\n'
        "grep -q ' refs/heads/agent/' || exit 0\n"
        f"[ -f '{gate}/hold' ] || exit 0\n"
        f"touch '{gate}/started'\n"
        f"while [ -f '{gate}/hold' ]; do sleep 0.05; done\n"
    )
    hook.chmod(0o755)
    (gate / "hold").touch()


@pytest.mark.parametrize("kill_point", ["right-after-approval", "while-the-branch-is-pushed"])
def test_killed_between_approval_and_pr_yields_one_pr_and_one_comment(
    app, app_env, database_url, issuer, tmp_path, kill_point
):
    tenant = prepare_tenant(
        app, f"crash-{secrets.token_hex(3)}", llm_routes=[{"provider": "scripted", "model": "demo"}]
    )
    bare = repository_path(app.scm.local_git_root(tenant.slug), REPOSITORY)
    devhost = DevhostProcess(
        REPO_ROOT,
        database_url,
        f"crash_{secrets.token_hex(3)}",
        tmp_path / "devhost.log",
        settings=app_env,
        options=["--activity-lease-seconds", "1"],
    )
    gate = tmp_path / "gate"
    gate.mkdir()
    if kill_point == "while-the-branch-is-pushed":
        _hold_agent_branches(bare, gate)
    devhost.start()
    try:
        task_id = comment_until_approval(devhost.base, tenant)
        approve(devhost.base, tenant.slug, tenant.directory_id, task_id, issuer, AUDIENCE)
        if kill_point == "while-the-branch-is-pushed":
            deadline = time.monotonic() + 60
            while not (gate / "started").exists():
                assert time.monotonic() < deadline, "the PR activity never pushed the branch"
                time.sleep(0.005)
            assert _branch_exists(bare, f"agent/{task_id}")
        devhost.kill()
        (gate / "hold").unlink(missing_ok=True)  # the killed host's git process may finish
        devhost.start()
        done = wait_for(devhost.base, task_id, completed)
    finally:
        (gate / "hold").unlink(missing_ok=True)
        devhost.stop()

    assert done["output"]["outcome"] == "completed"
    branches, comments = delivered(app, tenant.slug)
    assert branches == [f"agent/{task_id}"]
    assert len(comments) == 1 and "Opened" in comments[0]
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        opened = tx.conn.execute(
            "SELECT count(*) AS n FROM audit_events WHERE kind = 'task.completed'"
        ).fetchone()
    assert opened["n"] == 1
    assert app.audit.verify_chain(tenant.slug).ok
