"""The ArtifactStore contract, run against every adapter and the fake."""

from __future__ import annotations

import pytest

from shared.adapters.artifacts.filesystem import FilesystemArtifactStore
from shared.domain.errors import Conflict, InvalidInput, InvalidTenantSlug, NotFound
from shared.ports.artifacts import ArtifactStore, FakeArtifactStore


@pytest.fixture(params=["filesystem", "blob", "fake"])
def store(request, tmp_path) -> ArtifactStore:
    if request.param == "filesystem":
        return FilesystemArtifactStore(tmp_path)
    if request.param == "blob":
        return request.getfixturevalue("blob_store")
    return FakeArtifactStore()


def test_put_then_get_returns_the_bytes(store) -> None:
    data = bytes(range(256)) * 10
    uri = store.put("acme", "tasks/t1/attempt-1/patch.diff", data, "text/x-diff")
    assert "tasks/t1/attempt-1/patch.diff" in uri
    assert store.get("acme", "tasks/t1/attempt-1/patch.diff") == data
    assert store.exists("acme", "tasks/t1/attempt-1/patch.diff")


def test_absent_artifact_is_not_found(store) -> None:
    assert not store.exists("acme", "nothing/here")
    with pytest.raises(NotFound):
        store.get("acme", "nothing/here")


def test_putting_the_same_bytes_again_returns_the_same_uri(store) -> None:
    first = store.put("acme", "log.txt", b"same")
    assert store.put("acme", "log.txt", b"same") == first


def test_artifacts_are_immutable(store) -> None:
    store.put("acme", "log.txt", b"original")
    with pytest.raises(Conflict):
        store.put("acme", "log.txt", b"changed")
    assert store.get("acme", "log.txt") == b"original"


def test_tenants_do_not_see_each_others_artifacts(store) -> None:
    store.put("acme", "tasks/t1/patch.diff", b"acme's")
    assert not store.exists("beta", "tasks/t1/patch.diff")
    with pytest.raises(NotFound):
        store.get("beta", "tasks/t1/patch.diff")
    assert store.list("beta") == []


def test_list_returns_sorted_keys_with_the_prefix(store) -> None:
    for key in ["tasks/t2/b.txt", "tasks/t1/a.txt", "tasks/t10/c.txt", "other.txt"]:
        store.put("acme", key, key.encode())
    assert store.list("acme", "tasks/t1") == ["tasks/t1/a.txt", "tasks/t10/c.txt"]
    assert store.list("acme", "tasks/t1/") == ["tasks/t1/a.txt"]
    assert store.list("acme") == [
        "other.txt",
        "tasks/t1/a.txt",
        "tasks/t10/c.txt",
        "tasks/t2/b.txt",
    ]


def test_empty_artifact_round_trips(store) -> None:
    store.put("acme", "empty", b"")
    assert store.get("acme", "empty") == b""


@pytest.mark.parametrize(
    "key", ["", "../escape", "a/../b", "/absolute", "a//b", ".hidden", "a/.hidden", "sp ace"]
)
def test_invalid_keys_are_refused(store, key) -> None:
    with pytest.raises(InvalidInput) as caught:
        store.put("acme", key, b"x")
    assert caught.value.code == "invalid-artifact-key"


def test_invalid_tenant_is_refused(store) -> None:
    with pytest.raises(InvalidTenantSlug):
        store.list("Not A Slug")
