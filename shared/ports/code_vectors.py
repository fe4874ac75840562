"""Where chunk embeddings live: a nearest-neighbour index per tenant and repository.

The retrieval index writes a file's chunk vectors whenever the file is (re)indexed and asks for
the chunks nearest a query. Keys are the chunk keys of ``shared.retrieval.chunks.Chunk``
(``path:start-end``); vectors are unit length, so similarity is the dot product.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence


class CodeVectors(ABC):
    @abstractmethod
    def replace_file(
        self, tenant: str, repo: str, path: str, vectors: Sequence[tuple[str, Sequence[float]]]
    ) -> None:
        """Make ``vectors`` (chunk key, vector) the file's only ones; none deletes the file's."""

    @abstractmethod
    def nearest(
        self, tenant: str, repo: str, vector: Sequence[float], k: int
    ) -> list[tuple[str, float]]:
        """The ``k`` chunk keys most similar to ``vector``, best first, with cosine similarity."""
