"""``python -m shared.retrieval rank --root DIR --query FILE --k K``.

Prints the repository-relative paths of the ``K`` files best matching the query text in FILE,
best first, one per line; ``--why`` appends each file's reasons, ``--no-embeddings`` ranks with
the lexical rankers and the symbol graph only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.retrieval.embeddings import StaticModelEmbedder
from shared.retrieval.index import RepoIndex


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.retrieval")
    commands = parser.add_subparsers(dest="command", required=True)
    rank = commands.add_parser("rank", help="rank a checkout's files for a query")
    rank.add_argument("--root", type=Path, required=True, help="the checkout's folder")
    rank.add_argument("--query", type=Path, required=True, help="a file holding the query text")
    rank.add_argument("--k", type=int, default=10)
    rank.add_argument("--why", action="store_true", help="print each file's reasons too")
    rank.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root}: not a directory")
    if not args.query.is_file():
        parser.error(f"--query {args.query}: not a file")
    if args.k < 1:
        parser.error("--k must be at least 1")
    embedder = None if args.no_embeddings else StaticModelEmbedder()
    index = RepoIndex.from_checkout(args.root, embedder=embedder)
    query = args.query.read_text(encoding="utf-8", errors="replace")
    for hit in index.rank_files(query, args.k):
        print(f"{hit.id}\t{'; '.join(hit.why)}" if args.why else hit.id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
