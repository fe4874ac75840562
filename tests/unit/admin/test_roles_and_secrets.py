"""Pure parts of the admin API: what each app role grants, the previous webhook secret's
deadline, cursors, and the operation table that the triggers, dispatcher and document share."""

from __future__ import annotations

import pytest

from shared.api.operations import OPERATIONS
from shared.auth.webhooks import WebhookSecrets, authenticate, github_signature
from shared.domain.errors import InvalidInput, PermissionDenied, Unauthenticated
from shared.domain.task import Provider
from shared.policies.rbac import AppRole, app_roles, granted, require_any
from shared.services.admin.paging import next_cursor, page


def test_roles_grant_what_the_issue_says_and_auditing_stays_apart():
    assert granted(app_roles(["TenantAdmin"])) == {"TenantAdmin", "Approver", "Viewer"}
    assert granted(app_roles(["Auditor"])) == {"Auditor", "Viewer"}
    assert granted(app_roles(["PlatformAdmin"])) == {"PlatformAdmin"}
    assert app_roles(["Admin", "Owner", ""]) == {AppRole.TENANT_ADMIN}
    with pytest.raises(PermissionDenied) as refused:
        require_any(granted(app_roles(["TenantAdmin"])), app_roles(["Auditor"]))
    assert refused.value.code == "role-required"


def test_the_previous_webhook_secret_verifies_until_its_deadline_only():
    body = b'{"zen": "x"}'
    old = {"x-hub-signature-256": github_signature("old", body)}
    secrets = WebhookSecrets(main=("new", "old"), previous_until=1_000.0)
    assert secrets.at(999.0) == secrets
    assert secrets.at(1_000.0) == WebhookSecrets(main=("new",))
    authenticate(Provider.GITHUB, old, body, WebhookSecrets(main=("new", "old")))  # no deadline
    with pytest.raises(Unauthenticated):
        authenticate(
            Provider.GITHUB, old, body, WebhookSecrets(main=("new", "old"), previous_until=1.0)
        )


def test_cursors_round_trip_and_garbage_is_a_400():
    rows = [
        {"_key": ("2026-01-01T00:00:00+00:00", "t-1")},
        {"_key": ("2026-01-02T00:00:00+00:00", "t-2")},
    ]
    cursor = next_cursor(rows, 2)
    assert cursor is not None and page(cursor, 2).after == ("2026-01-02T00:00:00+00:00", "t-2")
    assert next_cursor(rows, 3) is None
    for bad in ("!!", "bnVsbA", "e30"):  # not base64, null, {}
        with pytest.raises(InvalidInput):
            page(bad, 10)


def test_every_operation_is_unique_and_protected_ones_name_their_roles():
    assert len({op.id for op in OPERATIONS}) == len(OPERATIONS)
    assert len({(op.method, op.route) for op in OPERATIONS}) == len(OPERATIONS)
    for op in OPERATIONS:
        assert (op.roles is None) == (op.scope == "public"), op.id
        assert op.roles is None or op.roles <= {r.value for r in AppRole}, op.id
