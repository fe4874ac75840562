"""The local folder: atomic immutable files under the tenant's directory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.adapters.artifacts.filesystem import FilesystemArtifactStore
from shared.domain.errors import Conflict


def test_artifact_is_a_file_under_the_tenant_dir(tmp_path) -> None:
    uri = FilesystemArtifactStore(tmp_path).put("acme", "tasks/t1/patch.diff", b"diff")
    path = tmp_path / "artifacts" / "acme" / "tasks" / "t1" / "patch.diff"
    assert path.read_bytes() == b"diff"
    assert uri == path.as_uri()


def test_racing_puts_of_different_bytes_keep_exactly_one(tmp_path) -> None:
    store = FilesystemArtifactStore(tmp_path)

    def put(n: int) -> str:
        try:
            store.put("acme", "contested", f"writer {n}".encode() * 1000)
            return "won"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(put, range(16)))
    assert outcomes.count("won") == 1
    assert store.get("acme", "contested").startswith(b"writer ")
    assert [p.name for p in (tmp_path / "artifacts" / "acme").iterdir()] == ["contested"]


def test_key_nested_under_an_existing_artifact_is_a_conflict(tmp_path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    store.put("acme", "a", b"file")
    with pytest.raises(Conflict):
        store.put("acme", "a/b", b"nested")


def test_constructor_touches_nothing(tmp_path) -> None:
    FilesystemArtifactStore(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()
