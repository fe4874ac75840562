"""From the model's answer to a review the SCM accepts: parse, then anchor every comment.

The model's text is untrusted: its JSON is read defensively (bounded counts and lengths, wrong
types dropped), and each comment must sit on a line an SCM accepts (``commentable_lines``:
added or context lines of the diff's hunks, new side). A comment on any other line, or on a
file outside the diff, is not posted inline: it moves into the summary, under its path and
line, and the move is recorded (the flow puts it in lineage). Two comments on one line are
joined, since every SCM holds at most one agent comment per line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import InvalidInput
from shared.domain.review import (
    PullRequestDiff,
    ReviewComment,
    ReviewDraft,
    commentable_lines,
)

MAX_COMMENTS = 50
MAX_BODY_CHARS = 4000
MAX_SUMMARY_CHARS = 8000
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class ProposedComment:
    path: str
    line: int
    body: str


@dataclass(frozen=True)
class ProposedReview:
    summary: str
    comments: tuple[ProposedComment, ...]


def parse_review(answer: str) -> ProposedReview:
    """The review in the model's answer: one JSON object (alone, fenced, or amid prose) with
    ``summary`` and ``comments`` of ``{path, line, body}``; ``InvalidInput`` when there is none.
    Entries of the wrong shape are skipped; at most ``MAX_COMMENTS`` are read."""
    found = _JSON_OBJECT.search(answer)
    try:
        data = json.loads(found.group(0) if found else answer)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise InvalidInput("the model's review is not a JSON object", code="review-unparsable")
    summary = data.get("summary")
    raw_comments = data.get("comments")
    comments: list[ProposedComment] = []
    for entry in raw_comments if isinstance(raw_comments, list) else []:
        if len(comments) == MAX_COMMENTS:
            break
        if not isinstance(entry, dict):
            continue
        path, line, body = entry.get("path"), entry.get("line"), entry.get("body")
        if not (isinstance(path, str) and isinstance(body, str) and body.strip()):
            continue
        if isinstance(line, bool) or not isinstance(line, int):
            continue
        severity = entry.get("severity")
        text = body.strip()[:MAX_BODY_CHARS]
        if isinstance(severity, str) and severity in ("high", "medium", "low"):
            text = f"**{severity}**: {text}"
        comments.append(ProposedComment(path.strip().lstrip("/"), line, text))
    text = summary.strip()[:MAX_SUMMARY_CHARS] if isinstance(summary, str) else ""
    return ProposedReview(text or "No summary was given.", tuple(comments))


@dataclass(frozen=True)
class AnchoredReview:
    draft: ReviewDraft
    moved: tuple[dict[str, Any], ...]  # comments moved into the summary, and why

    def lineage(self) -> dict[str, Any]:
        return {
            "inline": [{"path": c.path, "line": c.line} for c in self.draft.comments],
            "moved_to_summary": list(self.moved),
        }


def anchor_review(
    proposed: ProposedReview, commentable: Mapping[str, Sequence[int]]
) -> AnchoredReview:
    """Keep comments on commentable lines (``commentable``: path → its lines); move the rest
    into the summary with the reason (``file-not-in-diff`` or ``line-not-in-diff``)."""
    allowed = {path: frozenset(lines) for path, lines in commentable.items()}
    inline: dict[tuple[str, int], str] = {}
    moved: list[dict[str, Any]] = []
    for comment in proposed.comments:
        lines = allowed.get(comment.path)
        if lines is None or comment.line not in lines:
            reason = "file-not-in-diff" if lines is None else "line-not-in-diff"
            moved.append({"path": comment.path, "line": comment.line, "reason": reason,
                          "body": comment.body})  # fmt: skip
            continue
        key = (comment.path, comment.line)
        inline[key] = f"{inline[key]}\n\n{comment.body}" if key in inline else comment.body
    summary = proposed.summary
    if moved:
        notes = "\n".join(f"- `{m['path']}` line {m['line']}: {m['body']}" for m in moved)
        summary = f"{summary}\n\n**Outside the diff's lines:**\n{notes}"
    comments = tuple(ReviewComment(p, line, body) for (p, line), body in inline.items())
    return AnchoredReview(ReviewDraft(summary, comments), tuple(
        {k: v for k, v in m.items() if k != "body"} for m in moved
    ))  # fmt: skip


def commentable_map(diff: PullRequestDiff) -> dict[str, list[int]]:
    """Path → sorted commentable lines, for every file of the diff that takes a comment."""
    lines = {f.path: sorted(commentable_lines(f)) for f in diff.files}
    return {path: found for path, found in lines.items() if found}
