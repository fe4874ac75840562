"""Context selection: the files a task names or whose symbols it mentions, within budget."""

from __future__ import annotations

from shared.domain.scm import FileContent, ReadLimits, SkipReason, TreeEntry
from shared.services.patch_flow.context import rank_candidates, select_context

FILES = {
    "src/calc/arith.py": "def add(a, b):\n    return a - b\n",
    "src/calc/parser.py": "def parse(text):\n    return text.split()\n",
    "tests/test_arith.py": (
        "from calc.arith import add\n\ndef test_add():\n    assert add(2, 2) == 4\n"
    ),
    "README.md": "A calculator.\n",
    "assets/logo.png": "",
}


def _entries() -> list[TreeEntry]:
    return [
        TreeEntry(p, len(t), f"sha-{p}", SkipReason.BINARY if p.endswith(".png") else None)
        for p, t in FILES.items()
    ]


def _read(path: str) -> FileContent:
    return FileContent.from_bytes(path, "sha", FILES[path].encode(), ReadLimits())


def test_named_path_and_defined_symbol_rank_first_and_skipped_files_never_enter() -> None:
    text = "add() returns the wrong sum; see src/calc/arith.py"
    candidates = rank_candidates(_entries(), text)
    assert candidates[0] == "src/calc/arith.py"
    assert "assets/logo.png" not in candidates
    chosen = select_context(candidates, _read, text, budget_tokens=10_000)
    assert chosen[0].path == "src/calc/arith.py"
    assert "graph #1" in chosen[0].why and "defines add" in chosen[0].why
    assert chosen[0].text.startswith("# src/calc/arith.py lines 1-2 (function add)\n")
    assert chosen[0].slices[0]["symbol"] == "add"
    assert len(chosen[0].sha256) == 64


def test_budget_keeps_the_best_files_that_fit() -> None:
    text = "add is broken in arith"
    chosen = select_context(rank_candidates(_entries(), text), _read, text, budget_tokens=25)
    assert [f.path for f in chosen] == ["src/calc/arith.py"]


def test_whole_edit_format_gets_whole_files_best_first() -> None:
    text = "add() returns the wrong sum"
    chosen = select_context(
        rank_candidates(_entries(), text), _read, text, budget_tokens=10_000, whole_files=True
    )
    assert chosen[0].path == "src/calc/arith.py"
    assert chosen[0].text == FILES["src/calc/arith.py"] and chosen[0].slices == ()
