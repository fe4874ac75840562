"""The review prompt's text: the diff with new-side line numbers, within a character budget."""

from __future__ import annotations

from shared.domain.review import DiffFile, PullRequestDiff, hunk_lines
from shared.services.llm_hub.patch_prompts import _fence


def numbered_patch(diff_file: DiffFile) -> str:
    """The file's hunks with each new-side line's number in front (``   12 +x = 1``), so the
    model can name the line a comment belongs to without counting; other lines get none."""
    return "\n".join(
        raw if raw.startswith("@@") else f"{'' if n is None else n:>5} {raw}"
        for n, raw in hunk_lines(diff_file.patch)
    )


def render_diff(diff: PullRequestDiff, max_chars: int) -> tuple[str, list[str]]:
    """Each file's numbered hunks under its path, in the diff's order, until ``max_chars``;
    the text and the paths left out (too large to show, or past the budget)."""
    blocks: list[str] = []
    left_out: list[str] = []
    used = 0
    for f in diff.files:
        renamed = f" (renamed from {f.old_path})" if f.old_path and f.old_path != f.path else ""
        head = f"### {f.path} ({f.status}){renamed}"
        if not f.patch:
            blocks.append(f"{head}\n(no textual diff: binary or too large)")
            continue
        body = numbered_patch(f)
        fence = _fence(body)
        block = f"{head}\n{fence}diff\n{body}\n{fence}"
        if used + len(block) > max_chars:
            left_out.append(f.path)
            continue
        used += len(block)
        blocks.append(block)
    if left_out:
        blocks.append("(not shown, over the size budget: " + ", ".join(left_out) + ")")
    return "\n\n".join(blocks) or "(the pull request changes no files)", left_out
