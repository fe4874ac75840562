"""cgroup v2 limits of a run: the files the launcher writes (on a stand-in cgroup directory, as
this host may offer no cgroup v2 controllers), and on a real cgroup v2 host, the run's total
memory bounded across processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.sandbox.cgroup import Cgroups
from shared.adapters.sandbox.local import LocalSandbox
from shared.ports.sandbox import Limits


def _fake_root(tmp_path: Path, controllers: str) -> Path:
    root = tmp_path / "cgroupfs"
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers)
    (root / "cgroup.subtree_control").write_text("")
    return root


def test_each_run_gets_a_cgroup_with_its_limits_and_is_killed_through_it(tmp_path: Path) -> None:
    root = _fake_root(tmp_path, "cpuset cpu io memory pids\n")
    cgroups = Cgroups(root, parent="sandbox")
    box = LocalSandbox(cgroups=cgroups)
    if (reason := box.unavailable_reason()) is not None:
        pytest.skip(reason)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    run = box.run("acme", workspace, ["true"], Limits(wall_s=30, memory_mib=300, processes=40))
    assert run.passed
    assert (root / "cgroup.subtree_control").read_text() == "+memory +pids"
    runs = [p for p in (root / "sandbox").iterdir() if p.is_dir()]  # the probe's, and ours
    [leftover] = [p for p in runs if (p / "pids.max").read_text() == "40"]
    assert (leftover / "memory.max").read_text() == str(300 * 1024 * 1024)
    assert (leftover / "memory.swap.max").read_text() == "0"
    assert (leftover / "pids.max").read_text() == "40"
    assert (leftover / "cgroup.procs").read_text() == "0"  # the launcher moved itself in
    assert (leftover / "cgroup.kill").read_text() == "1"  # and everything left was killed


def test_without_memory_and_pids_controllers_runs_rely_on_rlimits(tmp_path: Path) -> None:
    cgroups = Cgroups(_fake_root(tmp_path, "cpu io\n"), parent="sandbox")
    assert not cgroups.available()
    assert not Cgroups(tmp_path / "no-cgroup2-here").available()


def test_on_a_cgroup_v2_host_the_runs_total_memory_is_bounded(tmp_path: Path) -> None:
    cgroups = Cgroups()
    if not cgroups.available():
        pytest.skip("this host delegates no cgroup v2 memory and pids controllers")
    box = LocalSandbox(cgroups=cgroups)
    if (reason := box.unavailable_reason()) is not None:
        pytest.skip(reason)
    # Four processes of 200 MiB each: every one is under the address-space limit, the sum is not.
    code = (
        "import os, time\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0: break\n"
        "block = bytearray(200 * 1024 * 1024); time.sleep(5)\n"
    )
    run = box.run(
        "acme", tmp_path, ["python3", "-c", code], Limits(wall_s=30, memory_mib=400, processes=32)
    )
    assert not run.passed
