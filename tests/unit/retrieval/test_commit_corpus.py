"""The commit-message corpus reads pbr's ChangeLog: one release, one real commit, one query."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import retrieval_commits
from benchmarks.retrieval_commits import build_project, sections

CHANGELOG = """CHANGES
=======

6.2.0
-----

* [imageutils] Fix \\_\\_str\\_\\_ for QemuImgInfo

6.1.0
-----

* [imageutils] Fix \\_\\_str\\_\\_ for QemuImgInfo
* Imported Translations from Zanata
* Add Python3 antelope unit tests
* Update master for stable/zed

6.0.1
-----

* Imported Translations from Zanata

6.0.0
-----


5.0.0
-----

* Remove oslo\\_utils.fnmatch
* strutils: Defer import of pyparsing

4.0.0
-----

* Initial release
"""


def _release(root: Path, version: str, source: str) -> Path:
    tree = root / version / f"demo-{version}"
    (tree / "demo").mkdir(parents=True)
    (tree / "ChangeLog").write_text(CHANGELOG)
    (tree / "demo" / "__init__.py").write_text(f"__version__ = '{version}'\n")
    (tree / "demo" / "images.py").write_text(source)
    (tree / "demo" / "tests").mkdir()
    (tree / "demo" / "tests" / "test_images.py").write_text(f"# {version}\n")
    return tree.parent


def test_sections_are_the_releases_newest_first_with_their_unescaped_commit_subjects(
    tmp_path: Path,
) -> None:
    (tmp_path / "ChangeLog").write_text(CHANGELOG)
    found = sections(tmp_path)
    assert [v for v, _ in found] == ["6.2.0", "6.1.0", "6.0.1", "6.0.0", "5.0.0", "4.0.0"]
    assert found[1][1][0] == "[imageutils] Fix __str__ for QemuImgInfo"
    assert found[3][1] == []
    assert found[4][1] == ["Remove oslo_utils.fnmatch", "strutils: Defer import of pyparsing"]
    assert found[5][1] == ["Initial release"]  # the file's last line


def test_a_release_with_one_real_commit_is_a_change_against_the_release_its_changelog_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trees = {  # 4.0.0 is never fetched: 5.0.0, its successor, holds two real commits
        "5.0.0": _release(tmp_path, "5.0.0", "a = 1\n"),
        "6.0.0": _release(tmp_path, "6.0.0", "a = 1\n"),
        "6.0.1": _release(tmp_path, "6.0.1", "a = 2\n"),  # only translations
        "6.0.5": _release(tmp_path, "6.0.5", "a = 9\n"),  # another branch: not in this log
        "6.1.0": _release(tmp_path, "6.1.0", "a = 3\n"),  # one commit beside three automated
        "6.2.0": _release(tmp_path, "6.2.0", "a = 4\n"),  # the same commit again (a backport)
    }
    monkeypatch.setattr(retrieval_commits, "versions", lambda project, floor: list(trees))
    monkeypatch.setattr(retrieval_commits, "fetch", lambda project, version, cache: trees[version])

    changes = build_project("demo", 10, tmp_path)

    # 6.0.0 has no commit, 6.0.1 only automated ones, 5.0.0 two real ones; 6.1.0 is compared
    # with 6.0.1, the release its ChangeLog names, not with 6.0.5; 6.2.0 repeats 6.1.0's commit.
    assert [(c.old, c.new, c.query, c.files) for c in changes] == [
        ("6.0.1", "6.1.0", "[imageutils] Fix __str__ for QemuImgInfo", ("demo/images.py",))
    ]
