"""Reading a query for what its writer marked as code, and for packaging talk.

Changelogs and issues mark code: ``Serializer``, `json`, ``echo()``, ``shell_completion.add``,
``parse_cookie_header``, ``MissingSchema``. Such a name points at the file that defines it far
more surely than the same word in prose ("the response is ..."), so these names are scored on
their own (``SymbolGraph.named``), apart from every word the lexical rankers see.

A query about supported Python versions, dependencies or package metadata is answered in the
build files (``setup.py``), which share few words with it: "Drop support for Python 3.7" names
nothing that ``setup.py`` defines.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_QUOTED = re.compile(r"`+([^`\n]+?)`+")
_DOTTED = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b")
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\(")
_COMPOUND = re.compile(
    r"\b(?:[A-Za-z0-9]+_\w+|_+[A-Za-z]\w*|[A-Z][a-z0-9]+[A-Z]\w*|[a-z]+[A-Z]\w*)\b"
)
_NAME = re.compile(r"[A-Za-z_]\w*")
_PACKAGING = re.compile(
    r"python\s*[23](?:\.\d+)?|pypy|depend|requir|\binstall|packaging|metadata|wheel|sdist"
    r"|setuptools|classifier",
    re.I,
)
BUILD_FILES = frozenset({"setup.py"})


def code_names(text: str) -> set[str]:
    """Lowercased names the text marks as code: quoted in backticks, dotted (each part), called
    (``name(``), or spelled like an identifier (snake_case, CamelCase)."""
    found: list[str] = []
    for quoted in _QUOTED.findall(text):
        found.extend(_NAME.findall(quoted))
    for dotted in _DOTTED.findall(_QUOTED.sub(" ", text)):
        found.extend(dotted.split("."))  # "e.g." gives one-letter parts, left out below
    found.extend(_CALLED.findall(text))
    found.extend(_COMPOUND.findall(text))
    return {name.lower().strip("_") for name in found if len(name.strip("_")) > 1}


def mentions_packaging(text: str) -> bool:
    return bool(_PACKAGING.search(text))


def build_files(paths: list[str]) -> list[str]:
    """The paths that are build files (``setup.py`` at any depth)."""
    return [p for p in paths if PurePosixPath(p).name in BUILD_FILES]
