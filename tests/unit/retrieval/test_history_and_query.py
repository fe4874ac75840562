"""The change history (churn, similar past changes), names a query marks as code, and the
weighted fusion of ranks and scores, each on its own and in the index's ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.retrieval import history as history_module
from shared.retrieval.chunks import chunk_file
from shared.retrieval.fusion import linear, ranked
from shared.retrieval.graph import SymbolGraph
from shared.retrieval.history import ChangeHistory
from shared.retrieval.index import RepoIndex
from shared.retrieval.query import build_files, code_names, mentions_packaging


def test_churn_is_the_share_of_recorded_changes_touching_a_path() -> None:
    history = ChangeHistory()
    history.record("Fix cookie parsing", ["pkg/cookies.py", "setup.py"])
    history.record("Drop Python 3.7", ["setup.py"])
    history.record("nothing touched", [])
    assert len(history) == 2
    assert history.churn() == {"pkg/cookies.py": 0.5, "setup.py": 1.0}
    assert ChangeHistory().churn() == {}


def test_only_the_newest_changes_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_module, "MAX_CHANGES", 2)
    history = ChangeHistory()
    history.record("cookie parsing", ["old.py"])
    history.record("mail", ["a.py"])
    history.record("mail again", ["a.py", "b.py"])
    assert len(history) == 2
    assert history.churn() == {"a.py": 1.0, "b.py": 0.5}
    assert history.similar("cookie parsing") == {}


def test_similar_past_changes_point_at_the_files_they_touched() -> None:
    history = ChangeHistory()
    history.record("Cookie header parsing drops empty values", ["pkg/cookies.py"])
    history.record("Mail sending retries on timeout", ["pkg/mail.py", "pkg/retry.py"])
    scores = history.similar("empty cookie values in the header")
    assert list(scores) == ["pkg/cookies.py"]
    shared = history.similar("mail retries")
    assert shared["pkg/mail.py"] == shared["pkg/retry.py"] > 0  # one change's share, split
    assert history.similar("the of and") == {}


def test_code_names_are_what_the_text_marks_as_code_not_prose() -> None:
    text = (
        "Fix ``ClickException`` output. The `salt` argument to Serializer.dumps and "
        "echo() now works, parse_cookie_header too; e.g. the response is fine."
    )
    assert code_names(text) == {
        "clickexception",
        "salt",
        "serializer",
        "dumps",
        "echo",
        "parse_cookie_header",
    }
    assert code_names("The response is fine.") == set()


def test_packaging_talk_and_build_files() -> None:
    assert mentions_packaging("Drop support for Python 3.7.")
    assert mentions_packaging("Requests now supports charset_normalizer 3.x as a dependency")
    assert not mentions_packaging("Fix cookie parsing for empty values")
    assert build_files(["setup.py", "src/pkg/setup.py", "src/pkg/setup_tools.py"]) == [
        "setup.py",
        "src/pkg/setup.py",
    ]


def test_named_symbols_score_their_definitions_and_modules() -> None:
    graph = SymbolGraph()
    files = {
        "src/pkg/cookies.py": "def parse_cookie(h):\n    return h\n",
        "src/pkg/session.py": "from pkg.cookies import parse_cookie\nx = parse_cookie('')\n",
        "src/pkg/jar.py": "def parse_cookie(h):\n    return h\n",
    }
    for path, text in files.items():
        graph.put(path, text, chunk_file(path, text))
    assert graph.named({"parse_cookie"}) == {"src/pkg/cookies.py": 0.5, "src/pkg/jar.py": 0.5}
    assert graph.named({"session"}) == {"src/pkg/session.py": 1.0}
    assert graph.named({"unknown"}) == {}


def test_linear_fusion_counts_rank_and_margin_and_honours_weights() -> None:
    sure = {"a": 10.0, "b": 1.0, "c": 0.9}
    unsure = {"b": 1.0, "a": 0.99, "c": 0.98}
    fused = linear({"sure": sure, "unsure": unsure}, {"sure": 1.0, "unsure": 1.0}, k=10)
    assert ranked(fused)[0] == "a"  # the sure ranker's margin outweighs one rank
    assert fused["a"] == (1.0 + 1.0) / 2 + ((11 / 12) + 0.99) / 2
    only = linear({"sure": sure, "unsure": unsure}, {"unsure": 1.0}, k=10)
    assert ranked(only) == ["b", "a", "c"]
    assert linear({"x": {"a": 0.0, "b": -1.0}}, {"x": 1.0}) == {}


def _repo(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "cookies.py").write_text(
        'def parse_cookie(header):\n    """Parse a cookie header into values."""\n'
        "    return header.split(';')\n"
    )
    (root / "pkg" / "jar.py").write_text(
        'def cookie_jar(values):\n    """A jar of cookie values from a cookie header."""\n'
        "    return dict(values)\n"
    )
    (root / "setup.py").write_text("from setuptools import setup\nsetup(name='pkg')\n")
    return root


def test_history_moves_a_file_that_past_changes_touched_up(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("jar", "store"):  # the same text: a tie, broken by path
        (root / f"{name}.py").write_text("def keep(values):\n    return list(values)\n")
    index = RepoIndex.from_checkout(root)
    query = "keep the values"
    assert [h.id for h in index.rank_files(query, k=2)] == ["jar.py", "store.py"]
    index.update_from_checkout(root, ["store.py"], message="values kept twice")
    hits = index.rank_files(query, k=2)
    assert [h.id for h in hits] == ["store.py", "jar.py"]
    assert {"churn #1", "history #1"} <= set(hits[0].why)


def test_packaging_queries_and_code_names_reach_files_without_shared_words(
    tmp_path: Path,
) -> None:
    index = RepoIndex.from_checkout(_repo(tmp_path / "repo"))
    assert index.rank_files("Drop support for Python 3.7.", k=1)[0].id == "setup.py"
    assert [h.id for h in index.rank_files("Drop support for Python 3.7.", k=3)].count(
        "setup.py"
    ) == 1


def test_a_name_marked_as_code_outweighs_the_same_kind_of_word_in_prose(tmp_path: Path) -> None:
    index = RepoIndex()
    index.update({
        "pkg/values.py": 'def values(items):\n    """The values of items."""\n    return items\n',
        "pkg/salt.py": "def salt():\n    return 'x'\n",
    })  # fmt: skip
    top = index.rank_files("``salt`` values no longer dropped from the values", k=1)[0]
    assert top.id == "pkg/salt.py" and "code #1" in top.why
