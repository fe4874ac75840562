"""``python -m tools.trace TASK_ID [--file PATH] [--all]``: print a task's span tree with timings
(see ``tools.trace.tree``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.trace.tree import default_file, show


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.trace", description=__doc__.splitlines()[0]
    )
    parser.add_argument("task_id")
    parser.add_argument("--file", type=Path, help="span file (default: devhost's)")
    parser.add_argument("--all", action="store_true", help="show every database span")
    args = parser.parse_args(argv)
    path = args.file or default_file()
    return show(args.task_id, path, sys.stdout, fold_database=not args.all)


if __name__ == "__main__":
    sys.exit(main())
