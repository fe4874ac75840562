"""Edit formats: what to ask a model for (chosen per model route) and reading its answer."""

from __future__ import annotations

from enum import StrEnum

from shared.domain.errors import PatchRejected
from shared.patching.extract import fenced_blocks
from shared.patching.model import EditKind, FileEdit
from shared.patching.search_replace import has_search_replace_blocks, parse_search_replace
from shared.patching.truncation import cut_short
from shared.patching.udiff import has_diff_marker, parse_unified_diff
from shared.patching.whole_file import parse_whole_files


class EditFormat(StrEnum):
    AUTO = "auto"
    UDIFF = "udiff"
    SEARCH_REPLACE = "search-replace"
    WHOLE = "whole"


#: The instructions to put in a prompt for each format a model route may ask for.
FORMAT_INSTRUCTIONS: dict[EditFormat, str] = {
    EditFormat.UDIFF: (
        "Answer with one unified diff in a ```diff fenced block, as `git diff` writes it: for each "
        "file a `--- a/PATH` and `+++ b/PATH` header (`/dev/null` for a created or deleted file), "
        "then hunks starting with `@@ -l,s +l,s @@` whose context lines are copied exactly from "
        "the file, with 3 lines of context around each change."
    ),
    EditFormat.SEARCH_REPLACE: (
        "For each change write the file's path on its own line, then a block:\n"
        "<<<<<<< SEARCH\nlines copied exactly from the file, enough to be unique\n=======\n"
        "the lines that replace them\n>>>>>>> REPLACE\n"
        "Use an empty SEARCH section to create a new file."
    ),
    EditFormat.WHOLE: (
        "For each file you change, write its path on its own line, then its complete new content "
        "in one fenced block. Never elide parts of the file."
    ),
}


def detect_format(text: str) -> EditFormat:
    """The format of an answer: search/replace markers, else diff markers, else whole files."""
    if has_search_replace_blocks(text):
        return EditFormat.SEARCH_REPLACE
    if has_diff_marker(text.replace("\r\n", "\n")):
        return EditFormat.UDIFF
    return EditFormat.WHOLE


def parse_edits(text: str, fmt: EditFormat | str = EditFormat.AUTO) -> tuple[FileEdit, ...]:
    """The file edits in an LLM answer or a patch file, in the given format (or detected).

    For diffs, fenced blocks holding diff markers are read and the prose around them ignored; an
    answer without fences is read whole. Raises ``PatchRejected`` (code ``no-edit-found``) when
    nothing usable is found, with a message meant to be fed back to the model, and (code
    ``truncated-answer``) when the answer was cut short (see ``truncation``): part of an edit
    must never be applied as if it were all of it.
    """
    fmt = EditFormat(fmt)
    if fmt is EditFormat.AUTO:
        fmt = detect_format(text)
    if (reason := cut_short(text, fmt.value)) is not None:
        raise PatchRejected(
            f"The answer was cut short: {reason}. Nothing was applied. Send a shorter answer: "
            "only the files and hunks that change, as a diff, and no whole files.",
            code="truncated-answer",
        )
    if fmt is EditFormat.UDIFF:
        edits = parse_unified_diff(_diff_text(text))
    elif fmt is EditFormat.SEARCH_REPLACE:
        edits = parse_search_replace(text)
    else:
        edits = parse_whole_files(text)
    if not edits or not any(
        edit.hunks or edit.replacement is not None or _is_structural(edit) for edit in edits
    ):
        raise PatchRejected(
            f"No edit found in the answer (format {fmt.value}). {FORMAT_INSTRUCTIONS[fmt]}",
            code="no-edit-found",
        )
    return edits


def _diff_text(text: str) -> str:
    blocks = fenced_blocks(text, indented=False)
    bodies = [block.body for block in blocks if has_diff_marker(block.body)]
    return "\n".join(bodies) if bodies else text


def _is_structural(edit: FileEdit) -> bool:
    """An edit with no body that still means something: a deletion, rename or empty new file."""
    return edit.kind is not EditKind.MODIFY or edit.unsupported is not None
