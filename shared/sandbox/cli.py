"""``python -m shared.sandbox run --workspace DIR [--timeout S] [--memory MIB]
[--network none|setup] [--backend auto|bwrap|unshare] -- PROGRAM [ARGS...]``.

Runs the program in the local sandbox exactly as checks run (same namespaces, uid, limits),
passing its output through. Exits with the program's status, 124 when it ran past the timeout,
and 125 when no sandbox can isolate it here (the program is then not run at all). The workspace
is the operator's directory: its files are handed to the run's uid and kept afterwards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.adapters.sandbox.local import BACKENDS, LocalSandbox
from shared.domain.errors import SandboxUnavailable
from shared.ports.sandbox import TIMEOUT_EXIT_CODE, Limits, NetworkPolicy

UNAVAILABLE_EXIT_CODE = 125


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run PROGRAM in the sandbox")
    defaults = Limits()
    run.add_argument("--workspace", type=Path, required=True, help="directory mounted read-write")
    run.add_argument("--timeout", type=float, default=defaults.wall_s, help="wall limit, seconds")
    run.add_argument("--memory", type=int, default=defaults.memory_mib, help="MiB")
    run.add_argument("--processes", type=int, default=defaults.processes)
    run.add_argument("--disk", type=int, default=defaults.disk_mib, help="MiB per file and /tmp")
    run.add_argument(
        "--network", choices=[p.value for p in NetworkPolicy], default=NetworkPolicy.NONE.value
    )
    run.add_argument("--backend", choices=("auto", *BACKENDS), default="auto")
    run.add_argument("program", nargs="+", help="the program and its arguments (after --)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.workspace.is_dir():
        print(f"sandbox: workspace {args.workspace} is not a directory", file=sys.stderr)
        return 2
    limits = Limits(
        wall_s=args.timeout,
        cpu_s=max(1, int(args.timeout)),
        memory_mib=args.memory,
        processes=args.processes,
        disk_mib=args.disk,
        network=NetworkPolicy(args.network),
    )
    sandbox = LocalSandbox(backend=args.backend)
    sys.stdout.flush()
    try:
        run = sandbox.run("cli", args.workspace, args.program, limits, stream=sys.stdout.buffer)
    except SandboxUnavailable as exc:
        print(f"sandbox: not run: {exc.message}", file=sys.stderr)
        return UNAVAILABLE_EXIT_CODE
    if run.timed_out:
        print(f"sandbox: killed after {args.timeout:g} s", file=sys.stderr)
        return TIMEOUT_EXIT_CODE
    return run.exit_code if run.exit_code is not None else 1
