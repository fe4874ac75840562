"""The symbol graph: which file defines which symbol, which files mention it, who imports whom.

A query that names ``echo()`` or ``shell_completion.add_completion_class`` points at the files
that *define* those names, more strongly the fewer files define them; files that only reference
them, and files that import a pointed-at module, get a smaller share. This is what lexical
similarity misses: the definition of a function named once in a changelog often shares few
other words with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import PurePosixPath

from shared.retrieval.chunks import Chunk, imports
from shared.retrieval.tokens import identifiers

DEFINES = 1.0
MODULE = 1.0
REFERENCES = 0.15
IMPORTED_BY = 0.1


def module_name(path: str) -> str:
    """``src/pkg/sub/mod.py`` -> ``pkg.sub.mod`` (``__init__`` names its package)."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[0] in {"src", "lib"}:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class SymbolGraph:
    def __init__(self) -> None:
        self._defs: dict[str, set[str]] = defaultdict(set)
        self._refs: dict[str, set[str]] = defaultdict(set)
        self._imports: dict[str, set[str]] = {}
        self._file_defs: dict[str, set[str]] = {}
        self._file_refs: dict[str, set[str]] = {}
        self._modules: dict[str, str] = {}

    def put(self, path: str, text: str, chunks: Iterable[Chunk]) -> None:
        self.remove(path)
        names = {n.lower() for c in chunks for n in (*c.defines, c.name.rsplit(".", 1)[-1]) if n}
        refs = identifiers(text) - names
        self._file_defs[path], self._file_refs[path] = names, refs
        for name in names:
            self._defs[name].add(path)
        for name in refs:
            self._refs[name].add(path)
        if path.endswith(".py"):
            self._modules[module_name(path)] = path
            self._imports[path] = imports(text)

    def remove(self, path: str) -> None:
        for name in self._file_defs.pop(path, set()):
            self._defs[name].discard(path)
        for name in self._file_refs.pop(path, set()):
            self._refs[name].discard(path)
        self._imports.pop(path, None)
        self._modules = {m: p for m, p in self._modules.items() if p != path}

    def defining(self, name: str) -> set[str]:
        return set(self._defs.get(name.lower(), ()))

    def _by_last(self) -> dict[str, list[str]]:
        """Module files by the last part of their module name (``pkg.sub.mod`` -> ``mod``)."""
        by_last: dict[str, list[str]] = defaultdict(list)
        for module, path in self._modules.items():
            by_last[module.rsplit(".", 1)[-1].lower()].append(path)
        return by_last

    def named(self, names: Iterable[str]) -> dict[str, float]:
        """File scores for names a query marks as code (``shared.retrieval.query.code_names``):
        each name's defining files, and the module of that name, share one point."""
        score: dict[str, float] = defaultdict(float)
        by_last = self._by_last()
        for name in names:
            for paths in (self._defs.get(name, set()), by_last.get(name, ())):
                for path in paths:
                    score[path] += 1.0 / len(paths)
        return dict(score)

    def scores(self, query: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """File scores for the symbols and modules the query names, and why, per file."""
        score: dict[str, float] = defaultdict(float)
        why: dict[str, list[str]] = defaultdict(list)
        by_last = self._by_last()
        for name in identifiers(query):
            defining = self._defs.get(name, set())
            for path in defining:
                score[path] += DEFINES / len(defining)
                why[path].append(f"defines {name}")
            for path in by_last.get(name, ()):
                score[path] += MODULE / len(by_last[name])
                why[path].append(f"is module {name}")
            referring = self._refs.get(name, set())
            for path in referring:
                score[path] += REFERENCES / len(referring)
        pointed = {m: score[p] for m, p in self._modules.items() if score.get(p)}
        for path, imported in self._imports.items():
            share = sum(pointed.get(m, 0.0) for m in imported)
            if share:
                score[path] += IMPORTED_BY * share
        return {p: s for p, s in score.items() if s > 0}, dict(why)
