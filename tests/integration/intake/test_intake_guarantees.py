"""Intake guarantees on the real database: nothing twice, nothing lost, loop prevention, the
running-task rule, cancel and approval commands, tenant and provider checks, secret rotation."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.intake import PostgresIntakeLedger
from shared.domain.errors import Unavailable
from shared.domain.task import Provider
from shared.domain.tenant import TenantStatus
from shared.services.intake import IntakeService, Outcome
from tests.integration.intake.conftest import Intake
from tests.unit.intake.deliveries import Credentials, fixture, headers_for
from tests.unit.intake.deliveries import github_comment as comment


def test_duplicate_deliveries_sent_50_times_concurrently_start_one_orchestration(
    intake: Intake,
) -> None:
    tenant = intake.tenant()
    item = comment("/agent fix the typo")

    async def burst():
        return await asyncio.gather(
            *(intake.receive(tenant, item, delivery_id="same-delivery") for _ in range(50))
        )

    results = asyncio.run(burst())
    accepted = [r for r in results if r.outcome is Outcome.ACCEPTED]
    duplicates = [r for r in results if r.outcome is Outcome.DUPLICATE]
    assert len(accepted) == 1 and len(duplicates) == 49
    task_id = accepted[0].task_id
    assert {r.task_id for r in duplicates} == {task_id}
    assert intake.orchestrations.start_calls == [task_id]
    assert [t["id"] for t in intake.tasks(tenant)] == [task_id]
    assert len(intake.deliveries(tenant)) == 1
    assert [e["kind"] for e in intake.audit(tenant)] == ["task.received"]
    assert PostgresAuditLog(intake.db, intake.directory).verify_chain(tenant).ok


def test_a_retried_delivery_starts_the_orchestration_when_the_first_start_failed(
    intake: Intake,
) -> None:
    tenant = intake.tenant()
    item = comment("/agent fix the typo")
    intake.orchestrations.unavailable = True
    with pytest.raises(Unavailable):
        intake.send(tenant, item, delivery_id="d-1")
    [task] = intake.tasks(tenant)  # the delivery and the task were committed
    intake.orchestrations.unavailable = False

    soon = intake.send(tenant, item, delivery_id="d-1")
    assert (soon.outcome, soon.task_id) == (Outcome.DUPLICATE, task["id"])
    assert intake.orchestrations.start_calls == []  # the first attempt may still be starting

    later = datetime.now(UTC) + timedelta(seconds=20)
    retried = intake.send(tenant, item, delivery_id="d-1", received_at=later)
    assert (retried.outcome, retried.task_id) == (Outcome.DUPLICATE, task["id"])
    assert intake.orchestrations.start_calls == [task["id"]]
    again = intake.send(tenant, item, delivery_id="d-1", received_at=later)
    assert again.outcome is Outcome.DUPLICATE
    assert intake.orchestrations.start_calls == [task["id"]]  # it exists now: not restarted


def test_the_agents_own_comment_containing_a_command_is_ignored(intake: Intake) -> None:
    tenant = intake.tenant({"agent_accounts": ["ai-code-agent[bot]", "agent-svc"]})
    for user, kind in (("agent-svc", "User"), ("ai-code-agent[bot]", "Bot")):
        result = intake.send(
            tenant, comment("/agent fix this\nTask started.", user=user, kind=kind)
        )
        assert (result.outcome, result.reason) == (Outcome.IGNORED, "own-comment")
    other_bot = intake.send(tenant, comment("/agent fix it", user="dependabot[bot]", kind="Bot"))
    assert other_bot.reason == "bot-author"
    assert intake.deliveries(tenant) == [] and intake.tasks(tenant) == []
    assert intake.orchestrations.start_calls == []


def test_a_second_command_on_a_running_source_gets_the_running_tasks_id(intake: Intake) -> None:
    tenant = intake.tenant()
    first = intake.send(tenant, comment("/agent fix the typo"))
    second = intake.send(tenant, comment("/agent implement something else", user="alice"))
    other_source = intake.send(tenant, comment("/agent fix", issue=2))
    assert (second.outcome, second.task_id) == (Outcome.RUNNING, first.task_id)
    assert other_source.outcome is Outcome.ACCEPTED
    assert intake.orchestrations.start_calls == [first.task_id, other_source.task_id]
    outcomes = [(d["outcome"], d["task_id"]) for d in intake.deliveries(tenant)]
    assert outcomes[1] == ("running", first.task_id)


def test_review_starts_the_review_flow_on_a_pull_request_and_is_refused_on_an_issue(
    intake: Intake,
) -> None:
    tenant = intake.tenant()
    on_issue = intake.send(tenant, comment("/agent review"))
    assert (on_issue.outcome, on_issue.reason) == (Outcome.IGNORED, "review-needs-pull-request")
    assert intake.deliveries(tenant) == []  # nothing recorded, nothing started but the reply
    [(flow, payload)] = intake.orchestrations.started.values()
    assert (flow, payload["reason"]) == ("refusal_reply", "review-needs-pull-request")

    item = comment("/agent review", issue=7)
    payload = item.payload()
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/7"}
    on_pull = intake.send(tenant, item.with_payload(payload))
    assert on_pull.outcome is Outcome.ACCEPTED
    assert intake.orchestrations.started[on_pull.task_id][0] == "review_flow"
    [task] = intake.tasks(tenant)
    assert (task["command"], task["source_kind"], task["source_id"]) == (
        "review",
        "pull_request",
        "7",
    )


def _status(intake: Intake, tenant: str, task_id: str, status: str) -> None:
    intake.tenant_rows(
        tenant, "UPDATE tasks SET status = %s WHERE id = %s RETURNING id", status, task_id
    )


def test_cancel_terminates_the_running_task_when_its_requester_or_an_approver_asks(
    intake: Intake,
) -> None:
    tenant = intake.tenant({"allowed_approvers": ["alice"]})
    task = intake.send(tenant, comment("/agent fix the typo")).task_id
    assert task is not None
    refused = intake.send(tenant, comment("/agent cancel", user="mallory"))
    assert (refused.outcome, refused.reason) == (Outcome.IGNORED, "cancel-not-allowed")
    assert intake.orchestrations.terminated == []

    cancelled = intake.send(tenant, comment("/agent cancel", user="Codertocat"))
    assert (cancelled.outcome, cancelled.task_id) == (Outcome.CANCELLED, task)
    assert intake.orchestrations.terminated == [task]
    assert intake.tasks(tenant)[0]["status"] == "cancelled"
    kinds = [e["kind"] for e in intake.audit(tenant)]
    assert kinds == ["task.received", "command.refused", "task.cancelled"]

    nothing = intake.send(tenant, comment("/agent cancel", user="alice"))
    assert (nothing.outcome, nothing.reason) == (Outcome.IGNORED, "no-active-task")
    fresh = intake.send(tenant, comment("/agent fix it again"))
    assert fresh.outcome is Outcome.ACCEPTED  # the source is free again


def test_approval_is_raised_only_for_allowed_approvers_who_did_not_ask(intake: Intake) -> None:
    tenant = intake.tenant({"allowed_approvers": ["alice", "Codertocat"]})
    task = intake.send(tenant, comment("/agent fix the typo")).task_id
    assert task is not None
    early = intake.send(tenant, comment("/agent approve", user="alice"))
    assert early.reason == "not-awaiting-approval"

    _status(intake, tenant, task, "awaiting_approval")
    stranger = intake.send(tenant, comment("/agent approve", user="mallory"))
    own = intake.send(tenant, comment("/agent approve", user="Codertocat"))
    assert (stranger.reason, own.reason) == ("approver-not-allowed", "self-approval")
    assert intake.orchestrations.events == []

    approved = intake.send(tenant, comment("/agent reject needs tests", user="alice"))
    assert (approved.outcome, approved.task_id) == (Outcome.APPROVAL_SENT, task)
    [(instance, name, event)] = intake.orchestrations.events
    assert (instance, name) == (task, "approval")
    assert list(event) == ["decision_id"]  # the event only names the recorded decision
    submitted = intake.audit(tenant)[-1]
    assert submitted["kind"] == "approval.submitted"
    recorded = submitted["data"]
    assert recorded["decision_id"] == event["decision_id"]
    assert {k: recorded[k] for k in ("decision", "approver", "comment", "via")} == {
        "decision": "reject",
        "approver": "alice",
        "comment": "needs tests",
        "via": "comment",
    }


def test_tenant_provider_and_size_checks_come_first(intake: Intake, make_intake) -> None:
    item = comment("/agent fix it")
    assert intake.error("nobody-here", item).http_status == 404
    assert intake.error("Not_A_Slug", item).http_status == 404
    tenant = intake.tenant({"providers": ["gitlab"]})
    disabled_provider = intake.error(tenant, item)
    assert (disabled_provider.http_status, disabled_provider.code) == (403, "provider-disabled")
    assert intake.error(tenant, item, provider="bitbucket").code == "unknown-provider"

    off = intake.tenant()
    intake.directory.set_status(off, TenantStatus.DISABLED)
    assert (intake.error(off, item).http_status, intake.error(off, item).code) == (
        403,
        "tenant-disabled",
    )
    small = make_intake(max_body_bytes=1024)
    too_large = small.error(intake.tenant(), item)
    assert too_large.http_status == 413


def test_a_rotated_secret_and_the_previous_one_are_both_accepted(make_intake) -> None:
    intake = make_intake(cache_seconds=60)
    tenant = intake.tenant()
    old = Credentials()
    new = Credentials(github="rotated-secret")
    item = comment("/agent fix it")
    assert intake.send(tenant, item, headers=headers_for(item, old)).outcome is Outcome.ACCEPTED

    intake.secrets.set(tenant, "webhook-github-previous", old.github)
    intake.secrets.set(tenant, "webhook-github", new.github)
    time.sleep(1.1)  # a failed check reloads the cached secrets at most once a second
    for credentials, issue in ((new, 2), (old, 3)):
        other = comment("/agent fix it", issue=issue)
        result = intake.send(tenant, other, headers=headers_for(other, credentials))
        assert result.outcome is Outcome.ACCEPTED

    # Retiring the old secret takes effect once the cache entry expires (here: no cache).
    intake.secrets.delete(tenant, "webhook-github-previous")
    retired = comment("/agent fix it", issue=4)
    uncached = make_intake(cache_seconds=0)
    assert uncached.error(tenant, retired, headers=headers_for(retired, old)).http_status == 401
    fresh = uncached.send(tenant, retired, headers=headers_for(retired, new))
    assert fresh.outcome is Outcome.ACCEPTED


def test_gitlab_and_azure_devops_commands_reach_the_same_guarantees(intake: Intake) -> None:
    tenant = intake.tenant()
    note = fixture("gitlab/note_hook/go-gitlab.note_merge_request.json")
    payload = note.payload()
    payload["object_attributes"]["note"] = "/agent fix the build"
    first = intake.send(tenant, note.with_payload(payload), delivery_id="gl-1")
    again = intake.send(tenant, note.with_payload(payload), delivery_id="gl-1")
    assert (first.outcome, again.outcome) == (Outcome.ACCEPTED, Outcome.DUPLICATE)
    assert again.task_id == first.task_id

    pr = fixture("azure-devops/ms.vss-code.git-pullrequest-comment-event.tingle-2.json")
    payload = pr.payload()
    payload["resource"]["comment"]["content"] = "/agent fix the null check"
    result = intake.send(tenant, pr.with_payload(payload))
    assert result.outcome is Outcome.ACCEPTED
    stored = {d["provider"]: d for d in intake.deliveries(tenant)}
    assert stored[Provider.AZURE_DEVOPS.value]["delivery_id"] == payload["id"]
    headers = stored[Provider.GITLAB.value]["headers"]
    assert headers["x-gitlab-event-uuid"] == "gl-1" and "x-gitlab-token" not in headers


def test_a_database_outage_is_a_503_not_a_500(intake: Intake, database_url: str) -> None:
    tenant = intake.tenant()
    gone = Database(database_url, min_size=0, max_size=1)
    gone.open()
    gone.close()
    outage = IntakeService(
        tenants=intake.directory,
        secrets=intake.secrets,
        ledger=PostgresIntakeLedger(gone, PostgresAuditLog(gone, intake.directory)),
        max_body_bytes=1 << 20,
    )
    broken = Intake(outage, intake.orchestrations, intake.db, intake.directory, intake.secrets)
    error = broken.error(tenant, comment("/agent fix it"))
    assert (error.http_status, error.code) == (503, "unavailable")
    assert intake.deliveries(tenant) == [] and intake.orchestrations.start_calls == []
