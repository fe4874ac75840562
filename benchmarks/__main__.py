"""``make bench``: every benchmark, one after the other, each in its own process.

Each prints its own table with ratios against a baseline measured in the same run; nothing here
is a pass/fail timing test. ``python -m benchmarks NAME ...`` runs only the named ones.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "patch_engine",
    "scm_tree",
    "durable_engine",
    "durable_raises",
    "webhook_intake",
    "load",
    "patch_flow_scale",
    "checkout",
    "redaction",
    "retrieval",
    "kept_index",
)


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== benchmarks.{name} ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
