"""The KeyProvider contract, run against every adapter (and the fake services' tests rely on).

Envelope encryption must show: a record sealed for tenant A does not open for tenant B, not even
when relabelled to B and unwrapped with B's own key; rotating a tenant's key keeps old records
readable while new records use the new version.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.adapters.keys.envelope import Envelope, EnvelopeKeyProvider
from shared.adapters.keys.local import LocalKeyProvider
from shared.domain.errors import InvalidInput, InvalidTenantSlug, PermissionDenied
from shared.ports.keys import FakeKeyProvider, KeyProvider


@pytest.fixture(params=["local", "keyvault", "fake"])
def provider(request, tmp_path) -> KeyProvider:
    if request.param == "local":
        return LocalKeyProvider(tmp_path)
    if request.param == "keyvault":
        return request.getfixturevalue("key_vault_keys")
    return FakeKeyProvider()


def test_record_opens_for_its_tenant_with_its_associated_data(provider) -> None:
    envelope = provider.encrypt("acme", b"scm token \x00\xff", b"connection:42")
    assert b"scm token" not in envelope
    assert provider.decrypt("acme", envelope, b"connection:42") == b"scm token \x00\xff"


def test_record_for_tenant_a_does_not_open_for_tenant_b(provider) -> None:
    provider.encrypt("beta", b"b's own record")  # b has a key of its own
    envelope = provider.encrypt("acme", b"a's secret")
    with pytest.raises(PermissionDenied) as caught:
        provider.decrypt("beta", envelope)
    assert caught.value.code == "decryption-failed"


def test_record_with_other_associated_data_does_not_open(provider) -> None:
    envelope = provider.encrypt("acme", b"transcript", b"task:1")
    with pytest.raises(PermissionDenied):
        provider.decrypt("acme", envelope, b"task:2")
    with pytest.raises(PermissionDenied):
        provider.decrypt("acme", envelope)


def test_rotation_keeps_old_records_readable(provider) -> None:
    before = provider.encrypt("acme", b"old record", b"ctx")
    first_rotation = provider.rotate("acme")
    after = provider.encrypt("acme", b"new record", b"ctx")
    second_rotation = provider.rotate("acme")
    assert first_rotation != second_rotation
    assert provider.decrypt("acme", before, b"ctx") == b"old record"
    assert provider.decrypt("acme", after, b"ctx") == b"new record"


def test_bytes_that_are_not_an_envelope_are_invalid_input(provider) -> None:
    with pytest.raises(InvalidInput) as caught:
        provider.decrypt("acme", b"definitely not an envelope")
    assert caught.value.code == "invalid-envelope"


def test_invalid_tenant_slug_is_refused(provider) -> None:
    with pytest.raises(InvalidTenantSlug):
        provider.encrypt("../etc", b"x")


# --- the real envelope adapters ---------------------------------------------------------------
@pytest.fixture(params=["local", "keyvault"])
def envelope_provider(request, tmp_path) -> EnvelopeKeyProvider:
    if request.param == "keyvault":
        return request.getfixturevalue("key_vault_keys")
    return LocalKeyProvider(tmp_path)


def test_record_relabelled_for_tenant_b_does_not_open_with_b_key(envelope_provider) -> None:
    envelope_provider.encrypt("beta", b"gives beta a current key")
    sealed = Envelope.decode(envelope_provider.encrypt("acme", b"a's secret"))
    beta_version = Envelope.decode(envelope_provider.encrypt("beta", b"x")).key_version
    forged = replace(sealed, tenant="beta", key_version=beta_version).encode()
    with pytest.raises(PermissionDenied) as caught:
        envelope_provider.decrypt("beta", forged)
    assert caught.value.code == "decryption-failed"


def test_new_records_use_the_rotated_key_version(envelope_provider) -> None:
    old = Envelope.decode(envelope_provider.encrypt("acme", b"old"))
    rotated = envelope_provider.rotate("acme")
    new = Envelope.decode(envelope_provider.encrypt("acme", b"new"))
    assert new.key_version == rotated != old.key_version


def test_every_record_gets_its_own_data_key_and_nonce(envelope_provider) -> None:
    one = Envelope.decode(envelope_provider.encrypt("acme", b"same"))
    two = Envelope.decode(envelope_provider.encrypt("acme", b"same"))
    assert one.wrapped_key != two.wrapped_key
    assert one.nonce != two.nonce
    assert one.body != two.body


@pytest.mark.parametrize("part", ["wrapped_key", "nonce", "body", "key_version"])
def test_tampered_envelope_does_not_open(envelope_provider, part) -> None:
    sealed = Envelope.decode(envelope_provider.encrypt("acme", b"record"))
    other_version = envelope_provider.rotate("acme")  # an existing version to point at
    value = getattr(sealed, part)
    if part == "key_version":
        tampered = replace(sealed, key_version=other_version)
    else:
        tampered = replace(sealed, **{part: bytes([value[0] ^ 1]) + value[1:]})
    with pytest.raises(PermissionDenied):
        envelope_provider.decrypt("acme", tampered.encode())


def test_truncated_envelope_is_invalid_input(envelope_provider) -> None:
    envelope = envelope_provider.encrypt("acme", b"record")
    with pytest.raises(InvalidInput):
        envelope_provider.decrypt("acme", envelope[:20])


def test_derived_keys_are_stable_per_tenant_and_purpose_and_change_with_rotation(
    provider,
) -> None:
    first = provider.derive_key("acme", "redaction-placeholders")
    assert len(first) == 32
    assert provider.derive_key("acme", "redaction-placeholders") == first
    assert provider.derive_key("beta", "redaction-placeholders") != first
    assert provider.derive_key("acme", "other-purpose") != first
    provider.rotate("acme")
    assert provider.derive_key("acme", "redaction-placeholders") != first
