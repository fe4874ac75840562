"""gpu-inference/: the image definition and its scripts, run against a fake `ollama` and `curl`."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

IMAGE_DIR = Path(__file__).resolve().parents[3] / "gpu-inference"
FAKE_OLLAMA = """#!/usr/bin/env bash
echo "$OLLAMA_HOST $*" >> "$FAKE_DIR/ollama.log"
case "$1" in
  serve) if [[ "$OLLAMA_HOST" == 127.0.0.1:* ]]; then exec sleep 30; else sleep 1; fi ;;
  list) [[ -f "$FAKE_DIR/down" ]] && exit 1
        echo "NAME ID SIZE MODIFIED"; sed 's/$/ 0123abcd 9.0GB 1 day ago/' "$FAKE_DIR/present" ;;
  pull) echo "$2" >> "$FAKE_DIR/present" ;;
esac
"""
FAKE_CURL = """#!/usr/bin/env bash
echo "$*" >> "$FAKE_DIR/curl.log"
"""


@pytest.fixture
def fakes(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in (("ollama", FAKE_OLLAMA), ("curl", FAKE_CURL)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "present").write_text("qwen2.5-coder:14b\n")
    (tmp_path / "models.txt").write_text("# comment\nqwen2.5-coder:14b\n\n  nomic-embed-text  \n")
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_DIR": str(tmp_path),
        "MODELS_MANIFEST": str(tmp_path / "models.txt"),
        "OLLAMA_HOST": "0.0.0.0:11434",
    }


def run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(IMAGE_DIR / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def wait_for_lines(path: Path, count: int) -> list[str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    return lines


def test_entrypoint_pulls_only_missing_models_privately_then_serves_and_warms(fakes):
    fake_dir = Path(fakes["FAKE_DIR"])
    result = run("entrypoint.sh", fakes)
    assert result.returncode == 0, result.stderr
    calls = (fake_dir / "ollama.log").read_text().splitlines()
    pulls = [c for c in calls if " pull " in c]
    assert pulls == ["127.0.0.1:11435 pull nomic-embed-text:latest"], (
        "pulls go to the loopback server"
    )
    # The public port opens only after the pulls (the readiness probe waits for it).
    assert (
        calls.index("127.0.0.1:11435 serve")
        < calls.index(pulls[0])
        < calls.index("0.0.0.0:11434 serve")
    )
    warmed = wait_for_lines(fake_dir / "curl.log", 2)
    assert [re.search(r'"model": "([^"]+)"', w).group(1) for w in warmed] == [
        "qwen2.5-coder:14b",
        "nomic-embed-text:latest",
    ]
    assert all("http://127.0.0.1:11434/api/generate" in w for w in warmed)


def test_models_variable_overrides_the_manifest(fakes):
    result = run("entrypoint.sh", {**fakes, "MODELS": "llama3.1:8b qwen2.5-coder:14b"})
    assert result.returncode == 0, result.stderr
    calls = (Path(fakes["FAKE_DIR"]) / "ollama.log").read_text()
    assert "pull llama3.1:8b" in calls and "nomic-embed-text" not in calls


def test_health_probe_distinguishes_alive_ready_and_down(fakes):
    fake_dir = Path(fakes["FAKE_DIR"])
    assert run("healthcheck.sh", fakes).returncode == 0
    not_ready = run("healthcheck.sh", fakes, "--ready")
    assert not_ready.returncode == 1 and "missing nomic-embed-text:latest" in not_ready.stdout
    (fake_dir / "present").write_text("qwen2.5-coder:14b\nnomic-embed-text:latest\n")
    assert run("healthcheck.sh", fakes, "--ready").returncode == 0
    (fake_dir / "down").touch()
    down = run("healthcheck.sh", fakes)
    assert down.returncode == 1 and "does not answer" in down.stdout


def test_dockerfile_pins_ollama_and_wires_the_scripts():
    dockerfile = (IMAGE_DIR / "Dockerfile").read_text()
    version = re.search(r"^ARG OLLAMA_VERSION=(\S+)$", dockerfile, re.M)
    assert version and re.fullmatch(r"\d+\.\d+\.\d+", version.group(1)), "pin a release tag"
    assert "FROM ollama/ollama:${OLLAMA_VERSION}" in dockerfile
    assert 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]' in dockerfile
    assert '"/usr/local/bin/healthcheck.sh", "--ready"' in dockerfile
    for script in ("models.sh", "entrypoint.sh", "healthcheck.sh", "models.txt"):
        assert script in dockerfile and (IMAGE_DIR / script).is_file()
    for script in ("entrypoint.sh", "healthcheck.sh"):
        assert os.access(IMAGE_DIR / script, os.X_OK)
