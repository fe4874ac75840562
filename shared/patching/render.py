"""Writing the normalised unified diff of an applied edit, as ``git diff`` would.

The output is git-style (``diff --git``, ``a/``/``b/`` prefixes, ``/dev/null``, rename headers,
``\\ No newline at end of file``) with 3 lines of context and correct counts, so that ``git
apply`` and ``patch -p1`` accept it and this package's parser reads it back exactly. CR of CRLF
lines is kept in the lines, as git shows it. Hunks come from ``difflib`` with its default junk
heuristic (fast on big files): on large files a hunk may be longer than git's, never wrong.
"""

from __future__ import annotations

from difflib import SequenceMatcher

CONTEXT_LINES = 3
_NO_NEWLINE = "\\ No newline at end of file\n"


def render_file_diff(
    old_path: str | None, new_path: str | None, old_text: str | None, new_text: str | None
) -> str:
    """The diff of one file; ``None`` paths/texts mean created or deleted."""
    a_name = old_path if old_path is not None else new_path
    b_name = new_path if new_path is not None else old_path
    out = [f"diff --git a/{a_name} b/{b_name}\n"]
    if old_text is None:
        out.append("new file mode 100644\n")
    elif new_text is None:
        out.append("deleted file mode 100644\n")
    elif old_path != new_path:
        out.append(f"rename from {old_path}\nrename to {new_path}\n")
    old_lines = (old_text or "").splitlines(keepends=True)
    new_lines = (new_text or "").splitlines(keepends=True)
    _split_crlf_only(old_lines)
    _split_crlf_only(new_lines)
    if old_lines == new_lines:
        return "".join(out)
    out.append("--- /dev/null\n" if old_text is None else f"--- a/{old_path}\n")
    out.append("+++ /dev/null\n" if new_text is None else f"+++ b/{new_path}\n")
    matcher = SequenceMatcher(None, old_lines, new_lines)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        first, last = group[0], group[-1]
        old_start, old_end = first[1], last[2]
        new_start, new_end = first[3], last[4]
        out.append(
            f"@@ -{_range(old_start, old_end - old_start)} "
            f"+{_range(new_start, new_end - new_start)} @@\n"
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(_body(" ", old_lines[i1:i2]))
                continue
            out.extend(_body("-", old_lines[i1:i2]))
            out.extend(_body("+", new_lines[j1:j2]))
    return "".join(out)


def _split_crlf_only(lines: list[str]) -> None:
    """``splitlines`` also breaks at lone CR, form feeds and the like; rejoin all but LF/CRLF."""
    joined: list[str] = []
    for line in lines:
        if joined and not joined[-1].endswith("\n"):
            joined[-1] += line
        else:
            joined.append(line)
    lines[:] = joined


def _range(start: int, count: int) -> str:
    if count == 1:
        return str(start + 1)
    return f"{start if count == 0 else start + 1},{count}"


def _body(prefix: str, lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(prefix + line)
        else:
            out.extend((prefix + line + "\n", _NO_NEWLINE))
    return out
