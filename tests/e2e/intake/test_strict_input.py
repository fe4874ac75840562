"""Strict input end to end: a webhook body must be UTF-8 JSON text (RFC 8259) whose strings are
valid Unicode, or it gets 400 ``invalid-utf8`` and leaves nothing behind — per provider, with
the bad bytes in a triggering comment's command text, correctly signed."""

from __future__ import annotations

import pytest

from shared.domain.task import Provider
from tests.e2e.intake.conftest import CREDENTIALS, Webhooks
from tests.unit.intake.deliveries import Fixture, headers_for, with_delivery_id
from tests.unit.intake.expected import TRIGGERS, Variant, command_variants

_COMMAND = b"/agent fix "


def _triggering(provider: Provider) -> Variant:
    return next(v for v in command_variants() if v.item.provider is provider)


def _with_text(item: Fixture, raw: bytes, delivery_id: str) -> Fixture:
    """``item`` (with ``delivery_id``) whose command text starts with the raw bytes ``raw``."""
    body = with_delivery_id(item, delivery_id).body
    assert body.count(_COMMAND) == 1
    return Fixture(item.path, body.replace(_COMMAND, _COMMAND + raw))


BAD = {
    "ff-fe": b"\xff\xfe",
    "c3-28": b"\xc3\x28",
    "encoded-lone-surrogate": b"\xed\xa0\x80",
    "escaped-lone-surrogate": b"\\ud800",
    "escaped-lone-low-surrogate": b"\\udc00 then",
    "escaped-nul": b"\\u0000",
    "overlong-slash": b"\xc0\xaf",
}


@pytest.mark.parametrize("provider", list(TRIGGERS), ids=lambda p: p.value)
@pytest.mark.parametrize("raw", BAD.values(), ids=list(BAD))
def test_invalid_text_in_a_triggering_command_gets_400_and_records_nothing(
    webhooks: Webhooks, provider: Provider, raw: bytes
) -> None:
    tenant = webhooks.tenant(TRIGGERS[provider])
    item = _with_text(_triggering(provider).item, raw, "bad-text-1")
    reply = webhooks.send(tenant, item, headers_for(item, CREDENTIALS, delivery_id="bad-text-1"))
    assert (reply.status, reply.body["error"]) == (400, "invalid-utf8")
    with webhooks.db.tenant_transaction(webhooks.directory.locate(tenant)) as tx:
        stored = tx.conn.execute("SELECT count(*) AS n FROM webhook_deliveries").fetchone()
    assert stored is not None and stored["n"] == 0


@pytest.mark.parametrize("provider", list(TRIGGERS), ids=lambda p: p.value)
def test_a_body_that_is_utf16_with_a_byte_order_mark_gets_400(
    webhooks: Webhooks, provider: Provider
) -> None:
    tenant = webhooks.tenant(TRIGGERS[provider])
    utf8 = with_delivery_id(_triggering(provider).item, "utf16-1")
    item = Fixture(utf8.path, b"\xff\xfe" + utf8.body.decode().encode("utf-16-le"))
    reply = webhooks.send(tenant, item, headers_for(item, CREDENTIALS, delivery_id="utf16-1"))
    assert (reply.status, reply.body["error"]) == (400, "invalid-utf8")


@pytest.mark.parametrize("provider", list(TRIGGERS), ids=lambda p: p.value)
def test_valid_non_ascii_text_and_paired_surrogate_escapes_are_accepted(
    webhooks: Webhooks, provider: Provider
) -> None:
    tenant = webhooks.tenant(TRIGGERS[provider])
    text = "naïve 😀 ".encode() + b"\\ud83d\\ude00 "
    item = _with_text(_triggering(provider).item, text, "good-text-1")
    reply = webhooks.send(tenant, item, headers_for(item, CREDENTIALS, delivery_id="good-text-1"))
    assert reply.status == 202, reply
    assert webhooks.instance(reply.body["id"]) is not None
