"""The ``rank`` CLI on a checkout, and the shipped embedding model (a few texts only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.retrieval.__main__ import main
from shared.retrieval.embeddings import MemoryCodeVectors, StaticModelEmbedder
from shared.retrieval.index import RepoIndex

REPO = Path(__file__).resolve().parents[3]


def _checkout(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "cookies.py").write_text("def parse_cookie(header):\n    return header\n")
    (root / "pkg" / "mail.py").write_text("def send_mail(to):\n    return to\n")
    (root / "logo.bin").write_bytes(b"\0\1\2")
    (root / ".git").mkdir()
    (root / ".git" / "cookies.py").write_text("def parse_cookie(): pass\n")
    return root


def test_rank_prints_relative_paths_best_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _checkout(tmp_path / "repo")
    query = tmp_path / "q.txt"
    query.write_text("parse_cookie mangles the cookie header")
    assert (
        main(["rank", "--root", str(root), "--query", str(query), "--k", "2", "--no-embeddings"])
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["pkg/cookies.py"]


def test_rank_as_a_module_with_embeddings(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "repo")
    query = tmp_path / "q.txt"
    query.write_text("sending mail to a recipient")
    result = subprocess.run(
        [sys.executable, "-m", "shared.retrieval", "rank", "--root", str(root), "--query",
         str(query), "--k", "5"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.splitlines()[0] == "pkg/mail.py"
    assert ".git/cookies.py" not in result.stdout and "logo.bin" not in result.stdout


def test_bad_arguments_get_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rank", "--root", str(tmp_path / "nope"), "--query", str(tmp_path), "--k", "3"])
    assert exited.value.code == 2
    assert "not a directory" in capsys.readouterr().err


def test_shipped_model_embeds_offline_and_related_text_is_nearer() -> None:
    embedder = StaticModelEmbedder()
    cookie, parse, mail = embedder.embed(["cookie header", "parse the cookies", "send an email"])
    assert len(cookie) == 64 and abs(sum(x * x for x in cookie) - 1) < 1e-6
    dot = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert dot(cookie, parse) > dot(cookie, mail)


def test_embedding_ranker_reaches_memory_vectors_per_repository() -> None:
    vectors = MemoryCodeVectors()
    index = RepoIndex(embedder=StaticModelEmbedder(), vectors=vectors, repo="a")
    index.update({"mail.py": "def send_mail(to):\n    return to\n"})
    assert vectors.nearest("local", "b", [1.0] * 64, 5) == []
    assert [k for k, _ in vectors.nearest("local", "a", [1.0 / 8] * 64, 5)] == ["mail.py:1-2"]


def test_history_file_feeds_past_changes_and_bad_lines_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("jar", "store"):  # the same text: without history, the tie goes to jar.py
        (root / f"{name}.py").write_text("def keep(values):\n    return list(values)\n")
    query = tmp_path / "q.txt"
    query.write_text("keep the values")
    history = tmp_path / "history.jsonl"
    history.write_text('{"message": "values kept twice", "paths": ["store.py"]}\n\n')
    args = ["rank", "--root", str(root), "--query", str(query), "--k", "1", "--no-embeddings"]
    assert main(args) == 0
    assert main([*args, "--history", str(history)]) == 0
    assert capsys.readouterr().out.splitlines() == ["jar.py", "store.py"]
    history.write_text('{"message": "ok", "paths": []}\n{"message": "x", "paths": "a.py"}\n')
    with pytest.raises(SystemExit) as exited:
        main([*args, "--history", str(history)])
    assert exited.value.code == 2
    assert "--history line 2" in capsys.readouterr().err
