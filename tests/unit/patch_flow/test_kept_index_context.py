"""Context from a kept index: the whole repository is ranked (not only the path candidates),
nothing is read for slices, only the chosen files for whole-file edits, and the recorded
pushes' history decides between files the task's words do not separate."""

from __future__ import annotations

from shared.domain.scm import FileContent, ReadLimits
from shared.retrieval.index import RepoIndex
from shared.services.patch_flow.context import select_context

FILES = {
    "src/app/first.py": "def call_first(gateway):\n    return gateway.retry()\n",
    "src/app/second.py": "def call_second(gateway):\n    return gateway.retry()\n",
    "src/app/other.py": "def other():\n    return 1\n",
}


def _kept() -> RepoIndex:
    index = RepoIndex()
    index.update(FILES)
    index.history.record("Fix the flaky retry when the gateway times out", ["src/app/second.py"])
    return index


def test_slices_come_from_the_kept_index_without_reading_and_history_decides() -> None:
    def read(path: str) -> FileContent:
        raise AssertionError(f"read {path}")

    chosen = select_context([], read, "gateway flaky retry", 10_000, index=_kept())
    by_path = {c.path: c for c in chosen}
    assert by_path["src/app/second.py"].score > by_path["src/app/first.py"].score
    assert "history #1" in by_path["src/app/second.py"].why


def test_whole_files_read_only_the_chosen_files() -> None:
    reads: list[str] = []

    def read(path: str) -> FileContent:
        reads.append(path)
        return FileContent.from_bytes(path, "sha", FILES[path].encode(), ReadLimits())

    chosen = select_context(["src/app/other.py"], read, "gateway flaky retry", 10_000,
                            whole_files=True, index=_kept())  # fmt: skip
    assert chosen[0].path == "src/app/second.py" and chosen[0].text == FILES[chosen[0].path]
    assert "src/app/other.py" not in reads  # a path candidate the kept index ranks nowhere
    assert sorted(reads) == sorted(c.path for c in chosen)
