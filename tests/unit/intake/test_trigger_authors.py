"""Who a command counts from, as far as intake can tell without asking the SCM: the agent's own
marked comments (with no configuration), the tenant's deny and allow lists, and their settings.
Write access itself is asked by the patch flow's first activity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.errors import ConfigurationError
from shared.domain.scm import with_marker
from shared.domain.task import AgentTask, Provider
from shared.policies.triggers import Ignored, TriggerRules, normalise, read_delivery
from tests.unit.intake.deliveries import Fixture, fixture, github_comment, headers_for

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MARKED = with_marker("🤖 nothing was started.\n/agent fix", "t-1")


def _normalise(item: Fixture, rules: TriggerRules | None = None) -> AgentTask | Ignored:
    headers = {k.lower(): v for k, v in headers_for(item, None, delivery_id="d-1").items()}
    delivery = read_delivery("acme", item.provider, headers, item.body, NOW)
    return normalise(delivery, rules or TriggerRules())


def _gitlab_note(body: str) -> Fixture:
    item = fixture("gitlab/note_hook/go-gitlab.note_issue.json")
    payload = item.payload()
    payload["object_attributes"]["note"] = body
    return item.with_payload(payload)


def _ado_comment(html: str) -> Fixture:
    item = fixture("azure-devops/workitem.commented.json")
    payload = item.payload()
    payload["resource"]["fields"]["System.History"] = html
    return item.with_payload(payload)


def test_a_marked_comment_is_the_agents_own_on_every_scm_without_configuration() -> None:
    assert TriggerRules().agent_accounts == frozenset()
    marked_html = f"<div>{MARKED.replace(chr(10), '<br>')}</div>"
    for item in (github_comment(MARKED), _gitlab_note(MARKED), _ado_comment(marked_html)):
        assert _normalise(item) == Ignored("own-comment"), item.path
    # ... while the same command without the marker is a task.
    for item in (github_comment("/agent fix"), _gitlab_note("/agent fix")):
        assert isinstance(_normalise(item), AgentTask)
    assert isinstance(_normalise(_ado_comment("<div>/agent fix</div>")), AgentTask)


def test_gitlab_tasks_carry_the_requesters_id_for_the_permission_check() -> None:
    item = _gitlab_note("/agent fix")
    task = _normalise(item)
    assert isinstance(task, AgentTask)
    assert task.extra["requester_id"] == str(item.payload()["user"]["id"])


def test_deny_and_allow_lists_refuse_authors_by_name_and_provider() -> None:
    rules = TriggerRules.from_settings(
        {"triggers": {"denied_authors": ["github:Mallory", "eve"], "allowed_authors": []}}
    )
    assert rules.author_refusal(Provider.GITHUB, "mallory") == "author-denied"
    assert rules.author_refusal(Provider.GITLAB, "mallory") is None
    assert rules.author_refusal(Provider.GITLAB, "EVE") == "author-denied"
    only = TriggerRules.from_settings({"triggers": {"allowed_authors": ["alice"]}})
    assert only.author_refusal(Provider.GITHUB, "alice") is None
    assert only.author_refusal(Provider.GITHUB, "bob") == "author-not-allowed"


def test_authorisation_settings_are_validated() -> None:
    rules = TriggerRules.from_settings(
        {"triggers": {"writer_groups": ["[P]\\Writers"], "refusal_reply_minutes": 30}}
    )
    assert (rules.writer_groups, rules.refusal_reply_minutes) == (("[P]\\Writers",), 30)
    assert TriggerRules().refusal_reply_minutes == 10
    for bad in (
        {"refusal_reply_minutes": 0},
        {"refusal_reply_minutes": True},
        {"refusal_reply_minutes": "10"},
        {"writer_groups": "[P]\\Writers"},
        {"denied_authors": "eve"},
    ):
        with pytest.raises(ConfigurationError):
            TriggerRules.from_settings({"triggers": bad})
