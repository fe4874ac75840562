"""Local key files: private, durable, shared by every process on the data dir, race-free."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.adapters.keys.envelope import Envelope
from shared.adapters.keys.local import LocalKeyProvider
from shared.domain.errors import PermissionDenied


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_record_creates_a_private_key_file(tmp_path) -> None:
    LocalKeyProvider(tmp_path).encrypt("acme", b"x")
    key_file = tmp_path / "keys" / "acme" / "1.key"
    assert key_file.stat().st_size == 32
    assert _mode(key_file) == 0o600
    assert _mode(tmp_path / "keys" / "acme") == 0o700
    assert _mode(tmp_path / "keys") == 0o700


def test_constructor_touches_nothing(tmp_path) -> None:
    LocalKeyProvider(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()


def test_another_provider_on_the_same_dir_opens_the_records(tmp_path) -> None:
    envelope = LocalKeyProvider(tmp_path).encrypt("acme", b"durable", b"ctx")
    assert LocalKeyProvider(tmp_path).decrypt("acme", envelope, b"ctx") == b"durable"


def test_record_does_not_open_after_its_key_file_is_lost(tmp_path) -> None:
    provider = LocalKeyProvider(tmp_path)
    envelope = provider.encrypt("acme", b"x")
    (tmp_path / "keys" / "acme" / "1.key").unlink()
    provider.rotate("acme")  # version 1 is gone; version 2 must not open its records
    with pytest.raises(PermissionDenied):
        provider.decrypt("acme", envelope)


def test_concurrent_rotations_make_distinct_versions(tmp_path) -> None:
    provider = LocalKeyProvider(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(lambda _: provider.rotate("acme"), range(16)))
    assert sorted(versions, key=int) == [str(n) for n in range(1, 17)]
    assert sorted(p.name for p in (tmp_path / "keys" / "acme").iterdir()) == sorted(
        f"{n}.key" for n in range(1, 17)
    )


def test_envelope_names_tenant_and_key_version(tmp_path) -> None:
    provider = LocalKeyProvider(tmp_path)
    provider.rotate("acme")
    provider.rotate("acme")
    sealed = Envelope.decode(provider.encrypt("acme", b"x"))
    assert (sealed.tenant, sealed.key_version) == ("acme", "2")
