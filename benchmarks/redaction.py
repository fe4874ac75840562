"""Benchmark: how well redaction works on realistic files, against the old redactor.

Generates (deterministically) files with planted secrets across configuration formats and code
(``.env``, INI, properties, YAML, JSON, TOML, XML, Python, JS, Java, Go, C#, PHP, Ruby, CI files,
docker-compose, Kubernetes manifests...) and secret-free files (lock files with integrity hashes,
checksums, data URIs, environment references, placeholders, tests that talk about passwords).
For the current redactor and for the one before issue #12 (``redaction_baseline``), in the same
run, reports:

- recall: planted secrets no longer in the text the LLM would receive (goal >= 99 %);
- false-positive file rate: secret-free files changed at all (goal <= 1 %);
- survival: non-secret values (hosts, ports, user names...) still present;
- throughput, as a ratio to the baseline;
- the false-positive file rate on this repository's own tracked sources (tests and benchmarks,
  which hold generated secrets, left out): real code and configuration, not generated.

    python -m benchmarks.redaction [--planted 260] [--clean 228] [--show-misses 10]
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import redaction_baseline
from benchmarks.redaction_clean import clean
from benchmarks.redaction_corpus import planted
from benchmarks.redaction_samples import Sample
from shared.policies.secrets import find_secrets

ROOT = Path(__file__).resolve().parents[1]

Finder = Callable[[str], Sequence[object]]


def _apply(find: Callable[[str], Sequence[object]], text: str) -> str:
    """``text`` with each finding (``start``/``end``) replaced by a marker."""
    pieces, position = [], 0
    for finding in find(text):
        start, end = finding.start, finding.end  # type: ignore[attr-defined]
        pieces.extend((text[position:start], "<REDACTED>"))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


@dataclass
class Score:
    secrets: int = 0
    caught: int = 0
    clean_files: int = 0
    clean_changed: int = 0
    kept_total: int = 0
    kept: int = 0
    seconds: float = 0.0
    chars: int = 0

    def pct(self, a: int, b: int) -> str:
        return f"{100 * a / b:6.2f} %" if b else "   n/a"


def score(
    find: Callable[[str], Sequence[object]], secret_files: list[Sample], clean_files: list[Sample]
) -> tuple[Score, list[tuple[str, str]]]:
    result, misses = Score(), []
    for sample in secret_files + clean_files:
        started = time.perf_counter()
        out = _apply(find, sample.text)
        result.seconds += time.perf_counter() - started
        result.chars += len(sample.text)
        for secret in sample.secrets:
            result.secrets += 1
            if secret in out:
                misses.append((sample.name, secret))
            else:
                result.caught += 1
        result.kept_total += len(sample.keep)
        result.kept += sum(value in out for value in sample.keep)
        if not sample.secrets:
            result.clean_files += 1
            result.clean_changed += out != sample.text
    return result, misses


def own_sources() -> list[Sample]:
    """This repository's tracked text files, tests and benchmarks left out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    samples = []
    for name in filter(None, listed.split("\0")):
        if name.startswith(("tests/", "benchmarks/")) or "node_modules/" in name:
            continue
        try:
            samples.append(Sample(name, (ROOT / name).read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue  # binary or gone
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planted", type=int, default=260, help="files with secrets")
    parser.add_argument("--clean", type=int, default=228, help="secret-free files")
    parser.add_argument("--show-misses", type=int, default=10)
    args = parser.parse_args()
    secret_files, clean_files = planted(args.planted), clean(args.clean)
    rows = {
        "before #12 (baseline)": score(redaction_baseline.find_secrets, secret_files, clean_files),
        "current": score(find_secrets, secret_files, clean_files),
    }
    base = rows["before #12 (baseline)"][0]
    print(
        f"{len(secret_files)} files with {base.secrets} planted secrets, "
        f"{len(clean_files)} secret-free files, {base.chars / 1e6:.2f} MB in all\n"
    )
    print(f"{'redactor':<24}{'recall':>10}{'FP files':>10}{'survival':>10}{'MB/s':>8}{'x':>7}")
    for name, (s, _) in rows.items():
        speed = s.chars / 1e6 / s.seconds
        ratio = speed / (base.chars / 1e6 / base.seconds)
        print(
            f"{name:<24}{s.pct(s.caught, s.secrets):>10}"
            f"{s.pct(s.clean_changed, s.clean_files):>10}"
            f"{s.pct(s.kept, s.kept_total):>10}{speed:>8.2f}{ratio:>7.2f}"
        )
    own = own_sources()
    flagged = {
        name: sum(bool(find(s.text)) for s in own)
        for name, find in (
            ("before #12 (baseline)", redaction_baseline.find_secrets),
            ("current", find_secrets),
        )
    }
    print(f"\nthis repository's own {len(own)} source files, changed:")
    for name, count in flagged.items():
        print(f"{name:<24}{100 * count / len(own):>9.2f} % ({count})")
    misses = rows["current"][1]
    if misses and args.show_misses:
        print(f"\ncurrent misses ({len(misses)}), first {args.show_misses}:")
        for name, secret in misses[: args.show_misses]:
            print(f"  {name}: {secret[:12]}...")
    changed = [f for f in clean_files if find_secrets(f.text) and args.show_misses][
        : args.show_misses
    ]
    for sample in changed:
        spans = [sample.text[f.start : f.end][:40] for f in find_secrets(sample.text)]
        print(f"  false positive in {sample.name}: {spans}")


if __name__ == "__main__":
    main()
