"""``/agent <command> [text]`` in comment bodies, and turning a comment into a task or a refusal.

A command is a line that starts with the tenant's prefix (leading blanks allowed), so quoted
replies (``> /agent fix``) and prose that mentions the command mid-line do not trigger anything.
The text after the command word, including the following lines, is the instruction.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from shared.domain.scm import marker_task_id
from shared.domain.task import AgentTask, Command
from shared.policies.triggers.model import Delivery, Ignored, Source, build_task
from shared.policies.triggers.rules import TriggerRules

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedCommand:
    command: Command
    text: str


def parse_command(body: str, prefix: str) -> ParsedCommand | Ignored:
    """The first command in ``body``, else ``Ignored`` (``no-command``, ``unknown-command``)."""
    lines = body.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped[: len(prefix)].casefold() != prefix.casefold():
            continue
        rest = stripped[len(prefix) :]
        if rest and not rest[0].isspace():
            continue  # "/agentic" is not "/agent"
        word, text = [*rest.split(None, 1), "", ""][:2]
        try:
            command = Command(word.casefold())
        except ValueError:
            return Ignored("unknown-command", word[:40])
        following = "\n".join(lines[index + 1 :])
        return ParsedCommand(command, f"{text.strip()}\n{following}".strip())
    return Ignored("no-command")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML comment (Azure DevOps work-item comments are HTML)."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", markup)))


def comment_task(
    delivery: Delivery,
    rules: TriggerRules,
    source: Source,
    *,
    author: str,
    body: str,
    is_bot: bool = False,
    html: bool = False,
) -> AgentTask | Ignored:
    """The task a comment asks for, after loop prevention: the agent's own comments (they carry
    its task marker, whoever posted them, or come from an account listed as the agent's), then
    bots. ``body`` is the comment as posted (Azure DevOps: the HTML, so the marker is kept).

    ``fix``/``implement`` without text take the source's own title and description.
    """
    if marker_task_id(body) is not None or rules.is_agent(delivery.provider, author):
        return Ignored("own-comment")
    if is_bot:
        return Ignored("bot-author")
    parsed = parse_command(html_to_text(body) if html else body, rules.command_prefix)
    if isinstance(parsed, Ignored):
        return parsed
    instruction = parsed.text
    if not instruction and parsed.command in (Command.FIX, Command.IMPLEMENT):
        instruction = source.describe()
    return build_task(delivery, source, parsed.command, instruction, author)


def labelled_task(
    delivery: Delivery, rules: TriggerRules, source: Source, *, requester: str
) -> AgentTask | Ignored:
    """The task a label or tag hands over: fix what the source describes."""
    if rules.is_agent(delivery.provider, requester):
        return Ignored("own-event")
    return build_task(delivery, source, Command.FIX, source.describe(), requester)


def is_github_bot(login: str, account_type: str) -> bool:
    return account_type == "Bot" or login.endswith("[bot]")


def is_gitlab_bot(username: str, flagged: bool) -> bool:
    # Project and group access tokens act as users named project_<id>_bot_<hash> / group_...
    return flagged or bool(re.match(r"^(project|group)_\d+_bot", username))
