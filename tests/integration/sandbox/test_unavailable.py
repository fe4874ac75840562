"""Where no tool can isolate, nothing runs: the sandbox says why and refuses, never runs bare."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.adapters.sandbox.local import LocalSandbox
from shared.domain.errors import SandboxUnavailable
from shared.ports.sandbox import Limits


def _refuses(box: LocalSandbox, tmp_path: Path) -> str:
    marker = tmp_path / "ran"
    reason = box.unavailable_reason()
    assert reason
    with pytest.raises(SandboxUnavailable):
        box.run("acme", tmp_path, ["sh", "-c", f"touch {marker}"], Limits(wall_s=10))
    assert not marker.exists()
    return reason


def test_without_bubblewrap_or_unshare_checks_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    reason = _refuses(LocalSandbox(), tmp_path)
    if os.geteuid() == 0:
        assert "neither bwrap nor unshare is installed" in reason


def test_a_tool_that_cannot_isolate_here_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bwrap that fails (as it does where namespaces are forbidden) makes the sandbox
    unavailable; the program is not run some other way."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    reason = _refuses(LocalSandbox(backend="bwrap"), tmp_path)
    if os.geteuid() == 0:
        assert "bwrap cannot isolate here" in reason and "No permissions" in reason
