"""Parse and bind KQL with Microsoft's Kusto.Language (npm ``@kusto/language-service-next``, the
language service behind the Azure portal's query editor), run by node from ``kqlcheck/``, against
the Application Insights tables in ``appinsights_tables.json``."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.harness import PROGRAM_DIR

CHECKER = PROGRAM_DIR / "kqlcheck" / "check.js"
TABLES = json.loads(Path(__file__).with_name("appinsights_tables.json").read_text())["tables"]


def kql_errors(queries: Mapping[str, str]) -> dict[str, list[str]]:
    """Query name -> its parse and binding errors (an empty list: the query is sound)."""
    done = subprocess.run(
        ["node", str(CHECKER)],
        input=json.dumps({"tables": TABLES, "queries": dict(queries)}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (
        "kqlcheck failed (`make test-infra` runs `npm ci --prefix infra/pulumi/kqlcheck`): "
        + done.stderr[-2000:]
    )
    return dict(json.loads(done.stdout))
