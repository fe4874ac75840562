"""The retrieval benchmark's corpus: real changes of open-source Python projects from PyPI sdists.

A *change* is one release of a project against the release before it. Its query is that release's
changelog section (the text a maintainer wrote to describe the change, RST roles unwrapped); its
ground truth is the set of non-test ``.py`` files whose content differs between the two sdists
(files under ``tests``/``testing``/``docs``/``releasenotes`` directories or named
``test_*.py``/``conftest.py`` are left out: the benchmark asks where the fix goes, and a change's
tests are where its evidence goes; so are version bumps, which every release has).
Only releases whose changelog section has 1 to 8 entries and whose diff touches 1 to 10 source
files are kept, so each query's ground truth is what its text actually describes.

sdists are fetched with ``pip download --no-deps --no-binary :all:`` into ``.benchmarks/sdists``
(git-ignored). ``python -m benchmarks.retrieval_corpus`` rebuilds the committed corpus file
``benchmarks/data/retrieval_changes.json``; the benchmark itself only fetches the older sdist of
each pair, the tree it ranks.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tarfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

CACHE = Path(".benchmarks/sdists")
CORPUS = Path(__file__).with_name("data") / "retrieval_changes.json"
LICENCES = CORPUS.with_name("licences")
# project -> the oldest release considered (older sdists have other layouts or no changelog).
PROJECTS = {
    "click": "7.0",
    "flask": "1.0",
    "werkzeug": "0.15.0",
    "jinja2": "2.10",
    "itsdangerous": "1.1.0",
    "markupsafe": "1.1.0",
    "urllib3": "1.22",
    "packaging": "20.0",
    "requests": "2.14.0",
    "blinker": "1.4",
    "idna": "2.8",
    "pluggy": "0.13.0",
    "httpx": "0.18.0",
}
BACKENDS = (
    "setuptools",
    "wheel",
    "flit_core",
    "hatchling",
    "hatch-vcs",
    "hatch-fancy-pypi-readme",
    "setuptools-scm",
    "pbr",
)
_CHANGELOG = re.compile(r"^(CHANGES|CHANGELOG|HISTORY|NEWS)(\.(rst|md|txt))?$", re.I)
_UNDERLINE = re.compile(r"^[-=~^*+]{3,}\s*$")
_ENV_LOCK = threading.Lock()
_VERSIONED = re.compile(r"\d+\.\d+")
_ROLE = re.compile(r":[a-z:]+:`~?(?:[^`<]*<)?([^`>]+)>?`")
_ENTRY = re.compile(r"^\s*[-*+]\s+\S", re.M)
_NOT_SOURCE = re.compile(
    r"(^|/)(tests?|testing|docs?|releasenotes)/|(^|/)(test_[^/]*|conftest)\.py$"
)
_VERSION_LINE = re.compile(rb"version|__build__", re.I)


@dataclass(frozen=True)
class Change:
    project: str
    old: str
    new: str
    query: str
    files: tuple[str, ...]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:4])


def versions(project: str, floor: str | None = None) -> list[str]:
    """Final releases from ``floor`` (default ``PROJECTS[project]``) on, oldest first (pip's own
    index query)."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", project],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    listed = out.split("Available versions:", 1)[1].splitlines()[0]
    found = [v.strip() for v in listed.split(",") if re.fullmatch(r"[\d.]+", v.strip())]
    lowest = version_key(floor or PROJECTS[project])
    return sorted((v for v in found if version_key(v) >= lowest), key=version_key)


def _pip_env(cache: Path) -> Path:
    """A virtualenv holding the sdists' build backends, so that pip prepares each sdist's
    metadata without building a fresh isolated environment per download (ten times faster)."""
    env = cache / "pip-env"
    python = env / "bin" / "python"
    with _ENV_LOCK:
        if (env / ".done").exists():
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(env)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *BACKENDS], check=True, capture_output=True
        )
        (env / ".done").write_text("")
    return python


def fetch(project: str, version: str, cache: Path = CACHE) -> Path | None:
    """The release's sdist, extracted under ``cache`` (downloaded once); None if PyPI has none."""
    target = cache / f"{project}-{version}"
    if (target / ".done").exists():
        return target
    download = cache / "download" / f"{project}-{version}"
    download.mkdir(parents=True, exist_ok=True)
    if not any(download.iterdir()):
        pip = [str(_pip_env(cache)), "-m", "pip", "download", "--no-deps", "--no-build-isolation"]
        target_args = ["--no-binary", ":all:", "-q", "-d", str(download), f"{project}=={version}"]
        done = subprocess.run([*pip, *target_args], capture_output=True, check=False)
        if done.returncode:
            return None
    archive = next(download.iterdir())
    target.mkdir(parents=True, exist_ok=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")
    (target / ".done").write_text("")
    return target


def source_root(extracted: Path) -> Path:
    """The sdist's top folder (``name-version/``)."""
    tops = [p for p in extracted.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 else extracted


def python_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if p.is_file() and not _NOT_SOURCE.search(p.relative_to(root).as_posix())
    }


def changed_files(old_root: Path, new_root: Path, old_version: str, new_version: str) -> list[str]:
    """Source ``.py`` files that differ by more than the release's version bump (every release
    changes ``__version__``/``_version.py``; that is not what its changelog describes): lines
    naming a version or either release's number are left out of the comparison."""
    old, new = python_files(old_root), python_files(new_root)
    numbers = (old_version.encode(), new_version.encode())

    def code(text: bytes) -> list[bytes]:
        return [
            line
            for line in text.splitlines()
            if not _VERSION_LINE.search(line) and not any(n in line for n in numbers)
        ]

    def same(path: str) -> bool:
        return code(old[path]) == code(new[path])

    return sorted(p for p in old.keys() & new.keys() if not same(p)) + sorted(
        p for p in new.keys() - old.keys() if PurePosixPath(p).name != "__init__.py"
    )


def changelog_section(root: Path, version: str) -> str | None:
    """The text under the heading that names ``version`` exactly, up to the next heading that
    names a version (towncrier's "Bug Fixes" sub-headings stay inside the section)."""
    logs = [p for p in root.iterdir() if p.is_file() and _CHANGELOG.match(p.name)]
    logs += [p for p in (root / "docs").glob("change*.rst")] if (root / "docs").is_dir() else []
    exact = re.compile(rf"(^|[^\w.]){re.escape(version)}($|[^\w.])")
    for log in logs:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        heads = [
            i
            for i in range(len(lines) - 1)
            if (_UNDERLINE.match(lines[i + 1]) and lines[i].strip()) or lines[i].startswith("#")
        ]
        heads = [i for i in heads if _VERSIONED.search(lines[i])]
        for n, i in enumerate(heads):
            if exact.search(lines[i]):
                end = heads[n + 1] if n + 1 < len(heads) else len(lines)
                body = lines[i + 2 if _UNDERLINE.match(lines[i + 1]) else i + 1 : end]
                text = "\n".join(b for b in body if not b.strip().lower().startswith("released"))
                return _ROLE.sub(r"\1", text).strip()
    return None


def build_project(project: str, cache: Path = CACHE) -> list[Change]:
    chain = versions(project)
    with ThreadPoolExecutor(4) as pool:
        trees = dict(zip(chain, pool.map(lambda v: fetch(project, v, cache), chain), strict=True))
    changes = []
    for old, new in itertools.pairwise(chain):
        old_dir, new_dir = trees[old], trees[new]
        if old_dir is None or new_dir is None:
            continue
        query = changelog_section(source_root(new_dir), new)
        if not query or not 1 <= len(_ENTRY.findall(query)) <= 8:
            continue
        files = changed_files(source_root(old_dir), source_root(new_dir), old, new)
        if 1 <= len(files) <= 10:
            changes.append(Change(project, old, new, query, tuple(files)))
    return changes


def copy_licences(project: str, version: str, cache: Path = CACHE) -> None:
    """The project's licence files, beside the corpus that quotes its changelog."""
    extracted = fetch(project, version, cache)
    assert extracted is not None
    LICENCES.mkdir(parents=True, exist_ok=True)
    for file in sorted(source_root(extracted).iterdir()):
        if file.is_file() and re.match(r"(LICEN[CS]E|COPYING)", file.name, re.I):
            (LICENCES / f"{project}-{file.name}").write_bytes(file.read_bytes())


def load(path: Path = CORPUS) -> list[Change]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Change(**{**c, "files": tuple(c["files"])}) for c in data["changes"]]


def save(changes: list[Change], projects: list[str], path: Path = CORPUS) -> None:
    """Write the corpus, and beside it the licence of each project it quotes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"changes": [asdict(c) for c in changes]}, indent=1) + "\n", encoding="utf-8"
    )
    for project in projects:
        found = [c.new for c in changes if c.project == project]
        print(project, len(found))
        if found:
            copy_licences(project, max(found, key=version_key))
    print("total", len(changes))


def main(argv: list[str]) -> int:
    chosen = argv or list(PROJECTS)
    save([c for p in chosen for c in build_project(p)], chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
