"""Local secret files: private, atomic, durable across store instances."""

from __future__ import annotations

import stat
import threading

from shared.adapters.secrets.local import LocalSecretStore


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_is_a_private_file_under_the_tenant_dir(tmp_path) -> None:
    LocalSecretStore(tmp_path).set("acme", "scm-token", "s3cr3t")
    path = tmp_path / "secrets" / "acme" / "scm-token"
    assert path.read_text() == "s3cr3t"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(tmp_path / "secrets") == 0o700


def test_overwrite_leaves_no_temporary_files(tmp_path) -> None:
    store = LocalSecretStore(tmp_path)
    for n in range(5):
        store.set("acme", "scm-token", f"v{n}")
    assert [p.name for p in (tmp_path / "secrets" / "acme").iterdir()] == ["scm-token"]


def test_another_instance_reads_what_one_wrote(tmp_path) -> None:
    LocalSecretStore(tmp_path).set("acme", "scm-token", "shared")
    assert LocalSecretStore(tmp_path).get("acme", "scm-token") == "shared"


def test_readers_never_see_a_torn_value_during_writes(tmp_path) -> None:
    store = LocalSecretStore(tmp_path)
    values = {"a" * 50_000, "b" * 70_000}
    store.set("acme", "big", "a" * 50_000)
    stop = threading.Event()
    seen: set[str] = set()

    def read() -> None:
        while not stop.is_set():
            seen.add(store.get("acme", "big"))

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(100):
        store.set("acme", "big", sorted(values)[n % 2])
    stop.set()
    reader.join()
    assert seen <= values
    assert seen


def test_constructor_touches_nothing(tmp_path) -> None:
    LocalSecretStore(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()
