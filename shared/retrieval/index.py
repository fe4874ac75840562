"""A repository's retrieval index: symbol chunks ranked by fused BM25F, symbol graph and
embeddings.

Built once from a checkout (or any path -> text mapping) and kept current with ``update``: a
push webhook names the paths it changed, and only those files are re-chunked, re-counted and
re-embedded, and the push's message joins the change history. Files are ranked by a weighted
fusion of ranks and scores (``fusion.linear``) of BM25F over whole files, the best BM25F chunk of
each file, the symbol graph, the names the query marks as code, the nearest embedded chunk, and
the history (churn, similar past changes, build files for packaging talk); chunks, for the
slices to show, by reciprocal rank fusion. Every hit says why it ranks (which rankers placed it
where).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from shared.ports.code_vectors import CodeVectors
from shared.retrieval.bm25 import Bm25f
from shared.retrieval.chunks import Chunk, chunk_file
from shared.retrieval.embeddings import Embedder, MemoryCodeVectors, chunk_text
from shared.retrieval.fusion import linear, ranked, rrf
from shared.retrieval.graph import SymbolGraph
from shared.retrieval.history import ChangeHistory
from shared.retrieval.query import build_files, code_names, mentions_packaging
from shared.retrieval.tokens import tokens

MAX_FILE_BYTES = 512 * 1024
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__",
                       ".tox", ".mypy_cache", ".pytest_cache", "dist", "build"})  # fmt: skip
FILE_FIELDS = {"path": 3.0, "symbols": 2.0, "doc": 1.5, "comments": 1.0, "ident": 1.0}
CHUNK_FIELDS = {"name": 3.0, "path": 1.0, "doc": 1.5, "comments": 1.0, "ident": 1.0}
# File rankers' weights in ``linear`` fusion, tuned on the benchmark by coordinate ascent on half
# its projects (each half in turn, checked on the other; these are the two halves' mean).
FILE_WEIGHTS = {"bm25f_file": 0.9, "bm25f_chunk": 0.75, "graph": 0.6, "embedding": 0.4,
                "code": 0.5, "churn": 0.75, "history": 0.4, "build": 0.75}  # fmt: skip
# A small rank constant: the top ranks should decide (measured on the benchmark).
FILE_RANK_K = 10
NEAREST = 200


@dataclass(frozen=True)
class _Scores:
    """One query's evidence: per file ranker, its scores; the chunks' BM25F scores; the nearest
    embedded chunks, best first; and the graph's reasons per file."""

    files: dict[str, dict[str, float]]
    chunks: dict[str, float]
    nearest: list[str]
    reasons: dict[str, list[str]]


@dataclass(frozen=True)
class Hit:
    """A ranked file or chunk: ``why`` names each ranker that placed it and at which rank."""

    id: str
    score: float
    why: tuple[str, ...]


def read_checkout(root: Path, paths: Iterable[str] | None = None) -> dict[str, str | None]:
    """Text of the checkout's indexable files (None for a path that is gone, not text, too large,
    a symlink, or outside the checkout: paths named by a webhook are not trusted)."""
    if paths is None:
        paths = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            rel = Path(folder).relative_to(root)
            paths.extend((rel / f).as_posix() for f in sorted(files))
    found: dict[str, str | None] = {}
    base = root.resolve()
    for path in paths:
        file = root / path
        if (
            PurePosixPath(path).is_absolute()
            or ".." in PurePosixPath(path).parts
            or file.is_symlink()
            or not file.resolve().is_relative_to(base)
            or not file.is_file()
            or file.stat().st_size > MAX_FILE_BYTES
        ):
            found[path] = None
            continue
        data = file.read_bytes()
        found[path] = None if b"\0" in data[:8192] else data.decode("utf-8", errors="replace")
    return found


class RepoIndex:
    """One repository's index. ``tenant``/``repo`` key its vectors in ``vectors``."""

    def __init__(self, *, embedder: Embedder | None = None, vectors: CodeVectors | None = None,
                 tenant: str = "local", repo: str = "local") -> None:  # fmt: skip
        self.embedder, self.tenant, self.repo = embedder, tenant, repo
        self.vectors = vectors if vectors is not None else MemoryCodeVectors()
        self.chunks: dict[str, list[Chunk]] = {}
        self.graph = SymbolGraph()
        self.history = ChangeHistory()
        self._files = Bm25f(FILE_FIELDS)
        self._chunks = Bm25f(CHUNK_FIELDS)

    @classmethod
    def from_checkout(cls, root: Path, **kwargs: object) -> RepoIndex:
        index = cls(**kwargs)  # type: ignore[arg-type]
        index.update(read_checkout(root))
        return index

    def update(self, files: Mapping[str, str | None]) -> None:
        """Re-index exactly these files; ``None`` removes one (deleted, binary, too large)."""
        embed: list[Chunk] = []
        for path, text in files.items():
            for old in self.chunks.pop(path, []):
                self._chunks.remove(old.key)
            self._files.remove(path)
            self.graph.remove(path)
            if text is None or not text.strip():
                if self.embedder is not None:
                    self.vectors.replace_file(self.tenant, self.repo, path, [])
                continue
            chunks = chunk_file(path, text)
            self.chunks[path] = chunks
            self._index_file(path, text, chunks)
            embed.extend(chunks)
        if self.embedder is not None and embed:
            vectors = self.embedder.embed([chunk_text(c) for c in embed])
            per_file: dict[str, list[tuple[str, list[float]]]] = defaultdict(list)
            for chunk, vector in zip(embed, vectors, strict=True):
                per_file[chunk.path].append((chunk.key, vector))
            for path, items in per_file.items():
                self.vectors.replace_file(self.tenant, self.repo, path, items)

    def update_from_checkout(self, root: Path, changed_paths: Iterable[str],
                             message: str = "") -> None:  # fmt: skip
        """The push-webhook entry: re-read only the changed paths from the updated checkout, and
        record the push (its commit messages) in the change history."""
        paths = list(changed_paths)
        self.update(read_checkout(root, paths))
        self.history.record(message, paths)

    def _index_file(self, path: str, text: str, chunks: list[Chunk]) -> None:
        path_tokens = tokens(PurePosixPath(path).with_suffix("").as_posix())
        self._files.put(path, {
            "path": path_tokens,
            "symbols": [t for c in chunks for n in (c.name, *c.defines) for t in tokens(n)],
            "doc": [t for c in chunks for t in tokens(c.doc)],
            "comments": [t for c in chunks for t in tokens(c.comments())],
            "ident": tokens(text),
        })  # fmt: skip
        for chunk in chunks:
            self._chunks.put(chunk.key, {
                "name": tokens(" ".join([chunk.name, *chunk.context])),
                "path": path_tokens,
                "doc": tokens(chunk.doc),
                "comments": tokens(chunk.comments()),
                "ident": tokens(chunk.text),
            })  # fmt: skip
        self.graph.put(path, text, chunks)

    def _scores(self, query: str) -> _Scores:
        terms = tokens(query)
        chunk_scores = self._chunks.scores(terms)
        best: dict[str, float] = {}
        for key, score in chunk_scores.items():
            path = key.rsplit(":", 1)[0]
            best[path] = max(best.get(path, 0.0), score)
        graph, reasons = self.graph.scores(query)
        files = {"bm25f_file": self._files.scores(terms), "bm25f_chunk": best, "graph": graph,
                 "code": self.graph.named(code_names(query)), "churn": self.history.churn(),
                 "history": self.history.similar(query)}  # fmt: skip
        if mentions_packaging(query):
            files["build"] = dict.fromkeys(build_files(list(self.chunks)), 1.0)
        near: list[tuple[str, float]] = []
        if self.embedder is not None and query.strip():
            vector = self.embedder.embed([query])[0]
            near = self.vectors.nearest(self.tenant, self.repo, vector, NEAREST)
            nearest: dict[str, float] = {}
            for key, similarity in near:
                nearest.setdefault(key.rsplit(":", 1)[0], similarity)
            files["embedding"] = nearest
        known = self.chunks.keys()
        files = {name: {p: s for p, s in got.items() if p in known} for name, got in files.items()}
        return _Scores(files, chunk_scores, [key for key, _ in near], reasons)

    def file_scores(self, query: str) -> dict[str, dict[str, float]]:
        """Each file ranker's scores for the query: what ``rank_files`` fuses, for tuning."""
        return self._scores(query).files

    def rank_files(self, query: str, k: int = 10,
                   keep: Iterable[str] | None = None) -> list[Hit]:  # fmt: skip
        """The ``k`` best files for the query (only those in ``keep`` when given)."""
        scores = self._scores(query)
        files = scores.files
        if keep is not None:
            allowed = set(keep)
            files = {n: {p: s for p, s in r.items() if p in allowed} for n, r in files.items()}
        fused = linear(files, FILE_WEIGHTS, FILE_RANK_K)
        rankings = {name: ranked(found) for name, found in files.items()}
        why = scores.reasons
        return [_hit(p, fused[p], rankings, why.get(p, [])) for p in ranked(fused)[:k]]

    def rank_chunks(self, query: str, k: int = 20) -> list[Hit]:
        """The ``k`` best chunks that some ranker found, fused with their file's fused rank."""
        scores = self._scores(query)
        file_order = ranked(linear(scores.files, FILE_WEIGHTS, FILE_RANK_K))
        chunks = {"bm25f_chunk": ranked(scores.chunks)}
        if scores.nearest:
            chunks["embedding"] = scores.nearest
        chunks["file"] = [c.key for path in file_order for c in self.chunks.get(path, [])]
        symbols = {n.split(" ", 1)[1] for why in scores.reasons.values() for n in why
                   if n.startswith("defines ")}  # fmt: skip
        chunks["graph"] = [c.key for path in file_order for c in self.chunks.get(path, [])
                           if {d.lower() for d in c.defines} & symbols]  # fmt: skip
        evidence = {key for name, keys in chunks.items() if name != "file" for key in keys}
        fused = {key: score for key, score in rrf(chunks).items() if key in evidence}
        return [_hit(key, fused[key], chunks, []) for key in ranked(fused)[:k]]

    def chunk(self, key: str) -> Chunk | None:
        return next((c for c in self.chunks.get(key.rsplit(":", 1)[0], []) if c.key == key), None)


def _hit(doc: str, score: float, rankings: Mapping[str, list[str]], extra: list[str]) -> Hit:
    why = [f"{name} #{ranking.index(doc) + 1}" for name, ranking in rankings.items()
           if doc in ranking[:50]]  # fmt: skip
    return Hit(doc, round(score, 6), tuple(why + sorted(set(extra))[:3]))
