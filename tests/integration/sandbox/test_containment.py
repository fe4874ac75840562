"""Hostile programs in the local sandbox: each is contained, fails its check, the host is intact.

Every program below would exit 0 if its attack worked; in the sandbox each one fails (or is
killed), and the test also looks at the host side: the secret never appears in the output, the
file outside was not written, nothing of the run's uid is left running. Run with both backends
(bubblewrap and unshare) wherever they can isolate.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from shared.adapters.sandbox.local import BACKENDS, LocalSandbox
from shared.ports.sandbox import Limits, SandboxRun

SECRET = "s3cr3t-" + os.urandom(8).hex()


@pytest.fixture(params=BACKENDS, scope="module")
def sandbox(request: pytest.FixtureRequest) -> LocalSandbox:
    box = LocalSandbox(backend=request.param)
    if (reason := box.unavailable_reason()) is not None:
        pytest.skip(f"{request.param}: {reason}")
    return box


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


def python(
    box: LocalSandbox, workspace: Path, code: str, limits: Limits | None = None
) -> SandboxRun:
    return box.run("tenant-a", workspace, ["python3", "-c", code], limits or Limits(wall_s=30))


def sandbox_uids_running(box: LocalSandbox) -> list[str]:
    """Live processes of any sandbox uid (zombies excluded: they hold no resources but a pid)."""
    low, high = box._uid_range
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "-1").split()[0])
        if low <= uid < high and "Z" not in fields.get("State", ""):
            found.append(f"{entry.name} {fields.get('Name', '').strip()}")
    return found


def test_a_harmless_check_passes_and_sees_only_its_workspace(
    sandbox: LocalSandbox, workspace: Path
) -> None:
    (workspace / "test_ok.py").write_text("assert 1 + 1 == 2\nprint('ok')\n")
    run = sandbox.run("tenant-a", workspace, ["python3", "test_ok.py"], Limits(wall_s=30))
    assert run.passed and "ok" in run.output_tail
    listing = python(sandbox, workspace, "import os; print(sorted(os.listdir('/')))").output_tail
    assert "root" not in listing and "home" not in listing and "workspace" in listing


def test_reading_the_callers_environment_and_host_processes_fails(
    sandbox: LocalSandbox, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_DB_PASSWORD", SECRET)
    code = f"""
import os, sys
print(sorted(set(os.environ) - {{'PWD', 'OLDPWD', 'SHLVL'}}))  # the shell's own
assert {SECRET!r} not in repr(os.environ)
data = open('/proc/{os.getpid()}/environ', 'rb').read() + open('/proc/1/environ', 'rb').read()
pids = [p for p in os.listdir('/proc') if p.isdigit()]
print('host processes visible:', pids)
sys.exit(0 if {SECRET!r}.encode() in data or int(max(pids, key=int)) > 100 else 3)
"""
    run = python(sandbox, workspace, code)
    assert not run.passed
    assert SECRET not in run.output_tail
    assert "['HOME', 'LANG', 'PATH']" in run.output_tail


def test_reading_another_tenants_workspace_or_key_files_fails(
    sandbox: LocalSandbox, workspace: Path, tmp_path: Path
) -> None:
    other = tmp_path / "tenant-b" / "workspace"
    other.mkdir(parents=True)
    (other / "secret.txt").write_text(SECRET)
    key = tmp_path / "keys" / "tenant-b.key"
    key.parent.mkdir()
    key.write_text(SECRET)
    key.chmod(0o600)
    code = f"""
import sys
for path in ({str(other / "secret.txt")!r}, {str(key)!r}, '/workspace/../tenant-b/workspace'):
    try:
        print(open(path).read())
        sys.exit(0)
    except OSError as exc:
        print('refused', type(exc).__name__)
sys.exit(2)
"""
    run = python(sandbox, workspace, code)
    assert run.exit_code == 2 and SECRET not in run.output_tail


@pytest.fixture
def loopback_listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 standing for the platform's PostgreSQL."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            received.append(connection.recv(100) or b"connected")
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join()
    server.close()


def test_connecting_to_postgres_on_loopback_fails(
    sandbox: LocalSandbox,
    workspace: Path,
    loopback_listener: tuple[int, list[bytes]],
    server_url: str,
) -> None:
    port, received = loopback_listener
    socket_dir = str(conninfo_to_dict(server_url).get("host") or "/var/run/postgresql")
    code = f"""
import glob, socket, sys
targets = [('127.0.0.1', {port}), ('127.0.0.1', 5432), ('localhost', {port})]
for host, port in targets:
    try:
        socket.create_connection((host, port), timeout=2).sendall(b'hello')
        sys.exit(0)
    except OSError as exc:
        print('refused', host, port, exc)
for path in glob.glob({socket_dir!r} + '/.s.PGSQL.*'):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); sys.exit(0)
    except OSError as exc:
        print('refused', path, exc)
sys.exit(4)
"""
    run = python(sandbox, workspace, code)
    assert run.exit_code == 4 and not received


def test_writing_outside_the_workspace_fails_and_the_host_is_untouched(
    sandbox: LocalSandbox, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    code = f"""
import sys
wrote = []
for path in ({str(outside)!r}, '/usr/pwned', '/etc/pwned', '/workspace/../pwned', '/proc/pwned'):
    try:
        open(path, 'w').write('x'); wrote.append(path)
    except OSError as exc:
        print('refused', path, type(exc).__name__)
open('/tmp/private', 'w').write('only in the private tmpfs')
open('/dev/shm/private', 'w').write('only in the private tmpfs')
open('/workspace/inside.txt', 'w').write('fine')
sys.exit(0 if wrote else 5)
"""
    run = python(sandbox, workspace, code)
    assert run.exit_code == 5, run.output_tail
    assert not outside.exists() and not Path("/usr/pwned").exists()
    assert not Path("/tmp/private").exists()  # the host's /tmp is untouched
    assert not Path("/dev/shm/private").exists()
    assert (workspace / "inside.txt").read_text() == "fine"


def test_a_fork_storm_is_stopped_by_the_process_limit(
    sandbox: LocalSandbox, workspace: Path
) -> None:
    code = """
import os, time
children = 0
while True:
    try:
        if os.fork() == 0:
            time.sleep(60); os._exit(0)
        children += 1
    except OSError:
        print('fork refused after', children); raise SystemExit(6)
"""
    run = python(sandbox, workspace, code, Limits(wall_s=30, processes=32))
    assert run.exit_code == 6 and "fork refused after" in run.output_tail
    assert run.usage.wall_s < 20
    assert sandbox_uids_running(sandbox) == []
    assert subprocess.run(["true"], check=False).returncode == 0  # the host can still fork


def test_a_memory_hog_is_stopped_by_the_memory_limit(
    sandbox: LocalSandbox, workspace: Path
) -> None:
    code = "blocks = [bytearray(64 * 1024 * 1024) for _ in range(64)]; print('got 4 GiB')"
    run = python(sandbox, workspace, code, Limits(wall_s=30, memory_mib=256))
    assert not run.passed and "MemoryError" in run.output_tail
    assert "got 4 GiB" not in run.output_tail


def test_sleeping_past_the_wall_limit_is_killed(sandbox: LocalSandbox, workspace: Path) -> None:
    run = python(sandbox, workspace, "import time; time.sleep(60)", Limits(wall_s=1))
    assert run.timed_out and run.exit_code is None and not run.passed
    assert run.usage.wall_s < 10
    assert sandbox_uids_running(sandbox) == []


def test_background_processes_left_behind_fail_the_check_and_are_killed(
    sandbox: LocalSandbox, workspace: Path
) -> None:
    argv = ["sh", "-c", "nohup sleep 300 >/dev/null 2>&1 & setsid sleep 300 & exit 0"]
    run = sandbox.run("tenant-a", workspace, argv, Limits(wall_s=30))
    assert run.exit_code == 1 and "left 2 background process(es)" in run.output_tail
    assert sandbox_uids_running(sandbox) == []


def test_the_program_runs_as_an_unprivileged_uid_of_its_own(
    sandbox: LocalSandbox, workspace: Path
) -> None:
    code = "import os; print('uid', os.getuid(), os.getgid(), open('/proc/self/status').read())"
    output = python(sandbox, workspace, code).output_tail
    uid = int(output.split()[1])
    assert uid not in (0, os.getuid()) and f"uid {uid} {uid}" in output
    assert "CapEff:\t0000000000000000" in output and "NoNewPrivs:\t1" in output
    assert (workspace.stat().st_uid, workspace.stat().st_gid) == (uid, uid)


def test_filling_the_disk_is_stopped_by_the_disk_limit(
    sandbox: LocalSandbox, workspace: Path
) -> None:
    code = """
import os
block = b"x" * (8 * 1024 * 1024)
for n in range(400):  # 3.2 GiB in files of 8 MiB: each under the file-size limit
    with open(f"fill-{n}", "wb") as stream:
        stream.write(block)
        stream.flush()
        os.fsync(stream.fileno())
print("filled")
"""
    run = python(sandbox, workspace, code, Limits(wall_s=120, disk_mib=64))
    assert not run.passed and "filled" not in run.output_tail
    assert "wrote more than 64 MiB; it was killed" in run.output_tail
    written = sum(p.stat().st_size for p in workspace.glob("fill-*"))
    assert written < 1024 * 1024 * 1024
