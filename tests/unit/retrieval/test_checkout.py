"""Building from a checkout and the push-webhook update: only named paths are re-read, and a
symlink out of the tree is never followed."""

from __future__ import annotations

from pathlib import Path

from shared.retrieval.index import RepoIndex, read_checkout


def test_push_update_rereads_only_the_changed_paths(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def alpha():\n    return 1\n")
    (tmp_path / "b.py").write_text("def beta():\n    return 2\n")
    index = RepoIndex.from_checkout(tmp_path)
    (tmp_path / "a.py").write_text("def gamma():\n    return 3\n")
    (tmp_path / "b.py").unlink()
    (tmp_path / "c.py").write_text("def delta():\n    return 4\n")
    index.update_from_checkout(tmp_path, ["b.py", "c.py"])
    assert sorted(index.chunks) == ["a.py", "c.py"]
    assert index.graph.defining("alpha") == {"a.py"}  # a.py was not named: not re-read
    assert index.rank_files("delta", k=1)[0].id == "c.py"


def test_symlinks_binaries_and_hidden_folders_are_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("password = hunter2\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "config").write_text("[core]\n")
    (repo / "link.txt").symlink_to(outside)
    (repo / "blob.bin").write_bytes(b"\0binary")
    (repo / "ok.py").write_text("x = 1\n")
    found = read_checkout(repo)
    assert found == {"blob.bin": None, "link.txt": None, "ok.py": "x = 1\n"}


def test_paths_named_by_a_webhook_cannot_leave_the_checkout(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("token\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "linked").symlink_to(tmp_path)
    named = ["../secret.txt", str(tmp_path / "secret.txt"), "linked/secret.txt"]
    assert read_checkout(repo, named) == dict.fromkeys(named)
