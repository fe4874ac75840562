"""All 146 real payloads through the intake service and the real database: signed correctly each
becomes its task or is ignored for its reason; wrongly signed, unsigned or truncated, each is
refused with 401 or 400 — never anything else."""

from __future__ import annotations

import pytest

from shared.domain.task import Provider
from shared.services.intake import Outcome
from tests.integration.intake.conftest import CREDENTIALS, Intake, resigned
from tests.unit.intake.deliveries import Credentials, Fixture, all_fixtures, headers_for
from tests.unit.intake.expected import (
    EXPECTED_TASKS,
    TRIGGERS,
    command_variants,
    expected_intake_outcome,
)


@pytest.fixture(scope="module")
def module_tenants() -> dict[Provider, str]:
    return {}


def _tenant(intake: Intake, cache: dict[Provider, str], provider: Provider) -> str:
    if provider not in cache:
        cache[provider] = intake.tenant(TRIGGERS[provider])
    return cache[provider]


@pytest.mark.parametrize("item", all_fixtures(), ids=lambda f: f.path)
def test_a_signed_real_payload_is_accepted_or_ignored_for_its_reason(
    intake: Intake, module_tenants: dict[Provider, str], item: Fixture
) -> None:
    expected = expected_intake_outcome(item)
    if expected == "task":
        tenant = intake.tenant(TRIGGERS[item.provider])  # its own: the task must not be "running"
        result = intake.send(tenant, item, delivery_id="delivery-1")
        assert result.outcome is Outcome.ACCEPTED
        flow, started = intake.orchestrations.started[result.task_id or ""]
        assert flow == "patch_flow"
        assert {k: started[k] for k in EXPECTED_TASKS[item.path]} == {
            k: str(v) for k, v in EXPECTED_TASKS[item.path].items()
        }
        [task] = intake.tasks(tenant)
        assert (task["id"], task["status"], task["delivery_id"]) == (
            result.task_id,
            "queued",
            started["delivery_id"],
        )
        [delivery] = intake.deliveries(tenant)
        assert bytes(delivery["body"]) == item.body
        assert (delivery["task_id"], delivery["outcome"]) == (result.task_id, "task-created")
        assert [e["kind"] for e in intake.audit(tenant)] == ["task.received"]
    else:
        tenant = _tenant(intake, module_tenants, item.provider)
        result = intake.send(tenant, item)
        assert (result.outcome, result.reason) == (Outcome.IGNORED, expected)
        assert intake.orchestrations.start_calls == []
        assert intake.deliveries(tenant) == []


@pytest.mark.parametrize("variant", command_variants(), ids=lambda v: v.name)
def test_a_command_in_a_real_comment_starts_the_task_it_describes(intake: Intake, variant) -> None:
    tenant = intake.tenant(TRIGGERS[variant.item.provider])
    result = intake.send(tenant, variant.item)
    assert result.outcome is Outcome.ACCEPTED
    _, started = intake.orchestrations.started[result.task_id or ""]
    assert {k: started[k] for k in variant.expected} == {
        k: str(v) for k, v in variant.expected.items()
    }
    assert [t["id"] for t in intake.tasks(tenant)] == [result.task_id]


_WRONG = Credentials(
    github="not-it",
    gitlab="not-it",
    azure_devops_basic="hook:not-it",
    azure_devops_header="not-it",
)


@pytest.mark.parametrize("item", all_fixtures(), ids=lambda f: f.path)
def test_wrongly_signed_unsigned_and_truncated_payloads_are_refused(
    intake: Intake, module_tenants: dict[Provider, str], item: Fixture
) -> None:
    tenant = _tenant(intake, module_tenants, item.provider)
    wrong = intake.error(tenant, item, headers=headers_for(item, _WRONG))
    unsigned = intake.error(tenant, item, headers=headers_for(item, None))
    assert (wrong.http_status, unsigned.http_status) == (401, 401)
    assert wrong.message == unsigned.message == "unauthenticated"

    cut = Fixture(item.path, item.body[: len(item.body) // 2])
    signed_for_original = headers_for(item, CREDENTIALS)
    truncated = intake.error(tenant, cut, headers=resigned(cut, signed_for_original, cut.body))
    assert (truncated.http_status, truncated.code) == (400, "malformed-json")
    if item.provider is Provider.GITHUB:
        replayed = intake.error(tenant, cut, headers=signed_for_original)
        assert replayed.http_status == 401
    assert intake.deliveries(tenant) == []
