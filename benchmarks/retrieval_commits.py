"""The retrieval benchmark's second corpus: real commit messages, from pbr's ``ChangeLog``.

Projects built with pbr (OpenStack's libraries and clients) ship a ``ChangeLog`` in every sdist,
written from ``git log`` when the sdist was made: under each release's heading, the subject line
of every commit since the release before it, which is the next heading. A release whose section
holds exactly one commit once the automated ones are left out (translation imports, branch
set-up, constraint and requirement bumps, CI jobs: they touch no source) is one real change with
its real commit message: the query is that subject line (a fix backported to several
branches is one change, counted once), the ground truth the non-test ``.py``
files that differ between the two sdists (the rules of ``benchmarks.retrieval_corpus``: version
bumps aside, 1 to 10 files). The older release is the one the ``ChangeLog`` names, not the
previous version number: a stable-branch fix (``17.4.1``) is compared with ``17.4.0``, not with
the newer master release beside it.

    python -m benchmarks.retrieval_commits [project ...]   # rebuilds data/retrieval_commits.json
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.retrieval_corpus import (
    CACHE,
    Change,
    changed_files,
    fetch,
    save,
    source_root,
    versions,
)

CORPUS = Path(__file__).with_name("data") / "retrieval_commits.json"
PROJECTS = (
    "oslo.utils",
    "oslo.config",
    "oslo.log",
    "oslo.messaging",
    "oslo.db",
    "oslo.concurrency",
    "oslo.service",
    "oslo.policy",
    "oslo.cache",
    "oslo.privsep",
    "oslo.versionedobjects",
    "oslo.serialization",
    "oslo.middleware",
    "oslo.i18n",
    "oslo.context",
    "oslo.rootwrap",
    "oslo.vmware",
    "stevedore",
    "cliff",
    "osc-lib",
    "keystoneauth1",
    "keystonemiddleware",
    "python-keystoneclient",
    "python-novaclient",
    "python-cinderclient",
    "python-glanceclient",
    "python-swiftclient",
    "python-neutronclient",
    "python-ironicclient",
    "python-heatclient",
    "os-brick",
    "taskflow",
    "tooz",
    "futurist",
    "osprofiler",
    "ovsdbapp",
    "os-vif",
    "castellan",
    "openstacksdk",
    "python-openstackclient",
    "neutron-lib",
    "os-ken",
    "python-octaviaclient",
    "python-designateclient",
)
RELEASES = 60  # the newest releases of each project that are read
_AUTOMATED = re.compile(
    r"imported translations|update master for stable|\.gitreview|tox_constraints|upper.constraints"
    r"|lower.constraints|from (?:global|openstack) requirements|add python ?3\S* \w+ unit tests"
    r"|python testing classifier|zuul|releasenote|\breno\b|^merge ",
    re.I,
)
_HEADING = re.compile(r"^(\d+(?:\.\d+)+)\s*$")
_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")


def sections(root: Path) -> list[tuple[str, list[str]]]:
    """The ``ChangeLog``'s releases, newest first: each version and its commit subjects."""
    log = root / "ChangeLog"
    if not log.is_file():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    found: list[tuple[str, list[str]]] = []
    for line, below in zip(lines, [*lines[1:], ""], strict=True):
        if _HEADING.match(line) and below.startswith("---"):
            found.append((line.strip(), []))
        elif found and line.startswith("* "):
            found[-1][1].append(_UNESCAPE.sub(r"\1", line[2:].strip()))
    return found


def build_project(project: str, releases: int = RELEASES, cache: Path = CACHE) -> list[Change]:
    chain = versions(project, "0")[-releases:]
    with ThreadPoolExecutor(4) as pool:
        trees = dict(zip(chain, pool.map(lambda v: fetch(project, v, cache), chain), strict=True))
    changes: list[Change] = []
    seen: set[str] = set()
    for new, tree in trees.items():  # oldest first: a backport's first release counts
        log = sections(source_root(tree)) if tree is not None else []
        at = next((i for i, (v, _) in enumerate(log) if v == new), len(log))
        commits = [c for c in log[at][1] if not _AUTOMATED.search(c)] if at < len(log) else []
        if at + 1 >= len(log) or len(commits) != 1 or commits[0] in seen:
            continue
        old = log[at + 1][0]
        old_tree = trees.get(old) or fetch(project, old, cache)
        if tree is None or old_tree is None:
            continue
        files = changed_files(source_root(old_tree), source_root(tree), old, new)
        if 1 <= len(files) <= 10:
            seen.add(commits[0])
            changes.append(Change(project, old, new, commits[0], tuple(files)))
    return changes


def main(argv: list[str]) -> int:
    chosen = argv or list(PROJECTS)
    with ThreadPoolExecutor(2) as pool:
        built = list(pool.map(build_project, chosen))
    save([c for found in built for c in found], chosen, CORPUS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
