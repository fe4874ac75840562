"""``python -m shared.retrieval rank --root DIR --query FILE --k K``.

Prints the repository-relative paths of the ``K`` files best matching the query text in FILE,
best first, one per line; ``--why`` appends each file's reasons, ``--no-embeddings`` ranks with
the lexical rankers and the symbol graph only, ``--history FILE`` records past changes first (one
JSON object a line: ``{"message": "...", "paths": ["a.py", ...]}``, see ``history``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared.retrieval.embeddings import StaticModelEmbedder
from shared.retrieval.index import RepoIndex


def _history(parser: argparse.ArgumentParser, path: Path) -> list[tuple[str, list[str]]]:
    """The past changes in ``path``, or a usage error naming the first bad line."""
    past = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            change = json.loads(line)
            message, paths = change["message"], change["paths"]
        except (ValueError, KeyError, TypeError):
            message, paths = None, None
        if not isinstance(message, str) or not isinstance(paths, list):
            parser.error(f'--history line {number}: not {{"message": str, "paths": [str]}}')
        past.append((message, [p for p in paths if isinstance(p, str)]))
    return past


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.retrieval")
    commands = parser.add_subparsers(dest="command", required=True)
    rank = commands.add_parser("rank", help="rank a checkout's files for a query")
    rank.add_argument("--root", type=Path, required=True, help="the checkout's folder")
    rank.add_argument("--query", type=Path, required=True, help="a file holding the query text")
    rank.add_argument("--k", type=int, default=10)
    rank.add_argument("--why", action="store_true", help="print each file's reasons too")
    rank.add_argument("--no-embeddings", action="store_true")
    rank.add_argument("--history", type=Path, help="past changes, one JSON object a line")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root}: not a directory")
    if not args.query.is_file():
        parser.error(f"--query {args.query}: not a file")
    if args.k < 1:
        parser.error("--k must be at least 1")
    if args.history is not None and not args.history.is_file():
        parser.error(f"--history {args.history}: not a file")
    past = _history(parser, args.history) if args.history is not None else []
    embedder = None if args.no_embeddings else StaticModelEmbedder()
    index = RepoIndex.from_checkout(args.root, embedder=embedder)
    for message, paths in past:
        index.history.record(message, paths)
    query = args.query.read_text(encoding="utf-8", errors="replace")
    for hit in index.rank_files(query, args.k):
        print(f"{hit.id}\t{'; '.join(hit.why)}" if args.why else hit.id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
