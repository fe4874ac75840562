"""Chunk embeddings: the model that a PyPI package ships, and an in-process vector index.

The model is ``tokenlearn-static-model``: a Model2Vec-style static embedder (10k-token
vocabulary, 64 dimensions, int8) whose weights and tokenizer are inside the wheel and whose
encoder is a small Rust extension: no download at run time, no torch, no onnxruntime, and fast
enough to embed a repository's chunks on a CPU in seconds. It is imported on first use only,
so ``import function_app`` stays fast.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Protocol

from shared.ports.code_vectors import CodeVectors
from shared.retrieval.chunks import Chunk
from shared.retrieval.tokens import split_identifier

DIMENSIONS = 64
_TEXT_CHARS = 2000


class Embedder(Protocol):
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length vectors, one per text."""
        ...


class StaticModelEmbedder:
    dimensions = DIMENSIONS

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        from static_model import get_embeddings  # a native model, loaded lazily

        vectors = get_embeddings(list(texts))
        return [_unit(v) for v in vectors]  # type: ignore[arg-type]


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def chunk_text(chunk: Chunk) -> str:
    """What a chunk is *about*, in words: its path, symbol, signatures, docstring and comments,
    then its identifiers split into words (code punctuation only dilutes a static model)."""
    words: dict[str, None] = {}
    for word in split_identifier(chunk.text.replace(".", " ").replace("(", " ")):
        words.setdefault(word, None)
    head = " ".join(
        [
            chunk.path.replace("/", " ").replace("_", " "),
            chunk.name.replace("_", " "),
            *chunk.context,
            chunk.doc,
            chunk.comments(),
        ]
    )
    return f"{head}\n{' '.join(words)}"[:_TEXT_CHARS]


class MemoryCodeVectors(CodeVectors):
    """Vectors in this process: for the CLI, the benchmark and unit tests of services."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str, str], list[tuple[str, Sequence[float]]]] = {}

    def replace_file(
        self, tenant: str, repo: str, path: str, vectors: Sequence[tuple[str, Sequence[float]]]
    ) -> None:
        if vectors:
            self._files[(tenant, repo, path)] = list(vectors)
        else:
            self._files.pop((tenant, repo, path), None)

    def nearest(
        self, tenant: str, repo: str, vector: Sequence[float], k: int
    ) -> list[tuple[str, float]]:
        candidates = (
            (key, sum(a * b for a, b in zip(vec, vector, strict=True)))
            for (t, r, _), items in self._files.items()
            if (t, r) == (tenant, repo)
            for key, vec in items
        )
        return heapq.nlargest(k, candidates, key=lambda item: (item[1], item[0]))
