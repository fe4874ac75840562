"""Trigger rules over the 146 real payloads, their command variants, and the rules' edges."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.errors import InvalidInput
from shared.domain.task import AgentTask, Command, Provider, SourceKind
from shared.policies.triggers import (
    Delivery,
    Ignored,
    TriggerRules,
    normalise,
    read_delivery,
    task_id_for,
)
from tests.unit.intake.deliveries import Fixture, all_fixtures, fixture, headers_for
from tests.unit.intake.expected import (
    EXPECTED_TASKS,
    TRIGGERS,
    Variant,
    command_variants,
    expected_outcome,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _normalise(item: Fixture, rules: TriggerRules | None = None, delivery_id: str = "d-1"):
    rules = rules or TriggerRules.from_settings({"triggers": TRIGGERS[item.provider]})
    headers = _lower(headers_for(item, None, delivery_id=delivery_id))
    delivery = read_delivery("acme", item.provider, headers, item.body, NOW)
    return delivery, normalise(delivery, rules)


def test_the_fixture_set_is_complete() -> None:
    counts = {p: sum(1 for f in all_fixtures() if f.provider is p) for p in Provider}
    assert counts == {
        Provider.GITHUB: 94,
        Provider.GITLAB: 29,
        Provider.AZURE_DEVOPS: 23,
        Provider.LOCAL_GIT: 0,
    }


@pytest.mark.parametrize("item", all_fixtures(), ids=lambda f: f.path)
def test_every_real_payload_is_a_task_or_ignored_for_the_right_reason(item: Fixture) -> None:
    delivery, result = _normalise(item)
    expected = expected_outcome(item)
    if expected == "task":
        assert isinstance(result, AgentTask), result
        fields = {name: getattr(result, name) for name in EXPECTED_TASKS[item.path]}
        assert fields == EXPECTED_TASKS[item.path]
        assert (result.tenant, result.provider) == ("acme", item.provider)
        assert result.delivery_id == delivery.delivery_id
        assert result.received_at == NOW
        assert result.id == task_id_for("acme", item.provider, delivery.delivery_id)
    else:
        assert isinstance(result, Ignored), result
        assert result.reason == expected


@pytest.mark.parametrize("variant", command_variants(), ids=lambda v: v.name)
def test_a_command_in_a_real_comment_is_normalised_into_the_task(variant: Variant) -> None:
    delivery, result = _normalise(variant.item, delivery_id="d-42")
    assert isinstance(result, AgentTask), result
    assert {name: getattr(result, name) for name in variant.expected} == variant.expected
    assert result.provider is variant.item.provider
    assert result.delivery_id == delivery.delivery_id
    assert result.id == task_id_for("acme", variant.item.provider, delivery.delivery_id)


def test_every_kind_of_comment_fixture_has_a_command_variant() -> None:
    names = {v.name.split(":")[0] for v in command_variants()}
    assert len(names) == 4 + 2 + 6 + 2 + 2 + 2 + 1


def _edited(path: str, *keys: str, value: Any) -> Fixture:
    item = fixture(path)
    payload = copy.deepcopy(item.payload())
    target = payload
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return item.with_payload(payload)


def test_the_agents_own_comment_with_a_command_is_ignored() -> None:
    item = _edited(
        "github/issue_comment/created.payload.json", "comment", "body", value="/agent fix it"
    )
    rules = TriggerRules.from_settings({"triggers": {"agent_accounts": ["codertocat"]}})
    assert _normalise(item, rules)[1] == Ignored("own-comment")


def test_a_bots_comment_with_a_command_is_ignored() -> None:
    item = _edited(
        "github/issue_comment/created.payload.json", "comment", "body", value="/agent fix it"
    )
    payload = item.payload()
    payload["comment"]["user"]["type"] = "Bot"
    assert _normalise(item.with_payload(payload))[1] == Ignored("bot-author")


def test_own_account_names_can_be_scoped_to_a_provider() -> None:
    item = _edited(
        "github/issue_comment/created.payload.json", "comment", "body", value="/agent fix it"
    )
    on_gitlab = TriggerRules.from_settings({"triggers": {"agent_accounts": ["gitlab:Codertocat"]}})
    on_github = TriggerRules.from_settings({"triggers": {"agent_accounts": ["github:Codertocat"]}})
    assert isinstance(_normalise(item, on_gitlab)[1], AgentTask)
    assert _normalise(item, on_github)[1] == Ignored("own-comment")


def test_a_label_added_by_the_agent_itself_is_ignored() -> None:
    rules = TriggerRules.from_settings(
        {"triggers": {"agent_label": "bug", "agent_accounts": ["Codertocat"]}}
    )
    assert _normalise(fixture("github/issues/labeled.payload.json"), rules)[1] == Ignored(
        "own-event"
    )


def test_a_comment_on_a_pull_request_is_about_the_pull_request() -> None:
    item = fixture("github/issue_comment/created.payload.json")
    payload = item.payload()
    payload["comment"]["body"] = "/agent review"
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/1"}
    task = _normalise(item.with_payload(payload))[1]
    assert isinstance(task, AgentTask)
    assert (task.source_kind, task.command) == (SourceKind.PULL_REQUEST, Command.REVIEW)


def test_confidential_gitlab_issues_count_when_the_tenant_allows_them() -> None:
    item = fixture("gitlab/note_hook/go-playground.confidential-comment-event.json")
    payload = item.payload()
    payload["object_attributes"]["note"] = "/agent fix it"
    allowed = TriggerRules.from_settings({"triggers": {"allow_confidential": True}})
    assert _normalise(item.with_payload(payload))[1] == Ignored("confidential")
    task = _normalise(item.with_payload(payload), allowed)[1]
    assert isinstance(task, AgentTask) and task.source_id == "17"


def test_a_confidential_flag_in_the_payload_is_honoured_too() -> None:
    item = fixture("gitlab/issue_hook/go-gitlab.issue.json")
    payload = item.payload()
    payload["object_attributes"]["confidential"] = True
    rules = TriggerRules.from_settings({"triggers": {"agent_label": "Platform"}})
    assert _normalise(item.with_payload(payload), rules)[1] == Ignored("confidential")


def test_gitlab_note_edits_and_system_notes_are_ignored() -> None:
    item = fixture("gitlab/note_hook/go-gitlab.note_issue.json")
    payload = item.payload()
    payload["object_attributes"]["note"] = "/agent fix it"
    payload["object_attributes"]["action"] = "update"
    assert _normalise(item.with_payload(payload))[1] == Ignored("edited")
    payload["object_attributes"]["action"] = "create"
    payload["object_attributes"]["system"] = True
    assert _normalise(item.with_payload(payload))[1].reason == "bot-author"  # type: ignore[union-attr]


def test_gitlab_project_bots_are_ignored() -> None:
    item = fixture("gitlab/note_hook/go-gitlab.note_issue.json")
    payload = item.payload()
    payload["object_attributes"]["note"] = "/agent fix it"
    payload["user"]["username"] = "project_42_bot_3f2a"
    assert _normalise(item.with_payload(payload))[1] == Ignored("bot-author")


def test_an_edited_azure_devops_pr_comment_is_ignored_even_with_a_command() -> None:
    item = _edited(
        "azure-devops/ms.vss-code.git-pullrequest-comment-event.tingle-1.json",
        "resource",
        "comment",
        "content",
        value="/agent fix it",
    )
    assert _normalise(item)[1] == Ignored("edited")


def test_fix_without_text_takes_the_issue_itself_as_the_instruction() -> None:
    item = _edited(
        "github/issue_comment/created.payload.json", "comment", "body", value="/agent fix"
    )
    task = _normalise(item)[1]
    assert isinstance(task, AgentTask)
    assert task.instruction.startswith("Spelling error in the README file\n\nIt looks like")


@pytest.mark.parametrize(
    ("path", "headers", "code"),
    [
        ("github/ping/payload.json", {"x-github-event": "ping"}, "missing-delivery-id"),
        ("github/ping/payload.json", {"x-github-delivery": "1"}, "missing-event"),
        (
            "gitlab/push_hook/go-gitlab.push.json",
            {"x-gitlab-event": "Push Hook"},
            "missing-delivery-id",
        ),
    ],
)
def test_missing_delivery_headers_are_bad_input(path: str, headers: dict, code: str) -> None:
    item = fixture(path)
    with pytest.raises(InvalidInput) as caught:
        read_delivery("acme", item.provider, headers, item.body, NOW)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"action": "created"', "malformed-json"),
        (b"[1, 2]", "not-an-object"),
        (b"\xff\xfe not json", "invalid-utf8"),
        (b'{"a": "\xed\xa0\x80"}', "invalid-utf8"),
        (b'{"a": ["\\ud800"]}', "invalid-utf8"),
        (b'{"\\u0000": 1}', "invalid-utf8"),
        (b'\xef\xbb\xbf{"a": "\\ud83d\\ude00"', "malformed-json"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed-json"),
    ],
)
def test_bodies_that_are_not_json_objects_are_bad_input(body: bytes, code: str) -> None:
    headers = {"x-github-event": "issues", "x-github-delivery": "1"}
    with pytest.raises(InvalidInput) as caught:
        read_delivery("acme", Provider.GITHUB, headers, body, NOW)
    assert caught.value.code == code


def test_a_missing_field_the_trigger_needs_is_named() -> None:
    item = fixture("github/issues/labeled.payload.json")
    payload = item.payload()
    del payload["issue"]["number"]
    delivery = Delivery("acme", Provider.GITHUB, "issues", "d", payload, NOW)
    rules = TriggerRules.from_settings({"triggers": {"agent_label": "bug"}})
    with pytest.raises(InvalidInput) as caught:
        normalise(delivery, rules)
    assert caught.value.code == "missing-field"
    assert "issue.number" in caught.value.message


def test_azure_devops_events_need_their_id_and_type() -> None:
    payload = json.loads(fixture("azure-devops/workitem.created.json").body)
    del payload["id"]
    with pytest.raises(InvalidInput) as caught:
        read_delivery("acme", Provider.AZURE_DEVOPS, {}, json.dumps(payload).encode(), NOW)
    assert caught.value.code == "missing-delivery-id"


def test_task_ids_are_stable_per_delivery_and_distinct_across_tenants() -> None:
    assert task_id_for("a", Provider.GITHUB, "1") == task_id_for("a", Provider.GITHUB, "1")
    assert task_id_for("a", Provider.GITHUB, "1") != task_id_for("b", Provider.GITHUB, "1")
    assert task_id_for("a", Provider.GITHUB, "1") != task_id_for("a", Provider.GITLAB, "1")
