"""Command line: ``python -m shared.patching apply --root DIR --diff FILE``."""

from shared.patching.cli import main

raise SystemExit(main())
