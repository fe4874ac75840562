"""Commands in comment text, trigger settings and their defaults, and who may steer a task."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.errors import ConfigurationError
from shared.domain.task import AgentTask, Command, Provider, SourceKind
from shared.policies.triggers import Ignored, TriggerRules, control_refusal
from shared.policies.triggers.commands import parse_command

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/agent fix the bug", (Command.FIX, "the bug")),
        ("/agent\tfix\tthe bug", (Command.FIX, "the bug")),
        (
            "  /AGENT Implement   a thing\nwith details ",
            (Command.IMPLEMENT, "a thing\nwith details"),
        ),
        ("Thanks!\n/agent review", (Command.REVIEW, "")),
        ("/agent approve looks good", (Command.APPROVE, "looks good")),
        ("/agent reject", (Command.REJECT, "")),
        ("/agent cancel", (Command.CANCEL, "")),
        ("please run /agent fix", Ignored("no-command")),
        ("> /agent fix quoted", Ignored("no-command")),
        ("/agentic fix", Ignored("no-command")),
        ("/agent", Ignored("unknown-command", "")),
        ("/agent deploy prod", Ignored("unknown-command", "deploy")),
        ("", Ignored("no-command")),
    ],
)
def test_commands_are_lines_that_start_with_the_prefix(body: str, expected: object) -> None:
    parsed = parse_command(body, "/agent")
    if isinstance(expected, Ignored):
        assert parsed == expected
    else:
        assert not isinstance(parsed, Ignored)
        assert (parsed.command, parsed.text) == expected


def test_default_rules_and_settings_validation() -> None:
    rules = TriggerRules.from_settings({})
    assert (rules.agent_label, rules.agent_tag, rules.command_prefix) == ("ai-agent",) * 2 + (
        "/agent",
    )
    assert rules.providers == {Provider.GITHUB, Provider.GITLAB, Provider.AZURE_DEVOPS}
    assert rules.allow_confidential is False
    for bad in (
        {"triggers": []},
        {"triggers": {"agent_label": ""}},
        {"triggers": {"allowed_approvers": "alice"}},
        {"triggers": {"providers": ["svn"]}},
        {"triggers": {"allow_confidential": "yes"}},
        {"triggers": {"agent_lable": "typo"}},
    ):
        with pytest.raises(ConfigurationError):
            TriggerRules.from_settings(bad)


def _command(command: Command, user: str) -> AgentTask:
    return AgentTask(
        id="t",
        tenant="acme",
        provider=Provider.GITHUB,
        repository="o/r",
        source_kind=SourceKind.ISSUE,
        source_id="1",
        command=command,
        instruction="",
        requester=user,
        delivery_id="d",
        received_at=NOW,
    )


def test_approvals_need_an_allowed_approver_who_is_not_the_requester() -> None:
    rules = TriggerRules.from_settings({"triggers": {"allowed_approvers": ["Alice", "github:bob"]}})
    assert control_refusal(_command(Command.APPROVE, "alice"), rules, "carol") is None
    assert control_refusal(_command(Command.REJECT, "bob"), rules, "carol") is None
    assert control_refusal(_command(Command.APPROVE, "mallory"), rules, "carol") == (
        "approver-not-allowed"
    )
    assert control_refusal(_command(Command.APPROVE, "alice"), rules, "ALICE") == "self-approval"


def test_a_task_is_cancelled_by_its_requester_or_an_approver_only() -> None:
    rules = TriggerRules.from_settings({"triggers": {"allowed_approvers": ["alice"]}})
    assert control_refusal(_command(Command.CANCEL, "carol"), rules, "carol") is None
    assert control_refusal(_command(Command.CANCEL, "alice"), rules, "carol") is None
    assert control_refusal(_command(Command.CANCEL, "mallory"), rules, "carol") == (
        "cancel-not-allowed"
    )
