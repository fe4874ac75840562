"""``import function_app`` stays light (Functions cold start): no SDK, database driver or
service module is imported until a function first runs. Checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = (
    "openai", "anthropic", "ollama", "github", "gitlab", "azure.devops", "azure.identity",
    "azure.keyvault", "azure.storage", "azure.monitor", "opentelemetry.sdk", "psycopg",
    "psycopg_pool", "cryptography", "jwt", "yaml", "pulumi", "pydantic", "pydantic_settings",
    "shared.services", "shared.adapters", "shared.bootstrap", "shared.config",
)  # fmt: skip


def test_importing_the_app_loads_no_sdk_driver_or_service() -> None:
    probe = "import json, sys, function_app; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
    assert "function_app" in loaded and "orchestrations.patch_flow.orchestrator" in loaded
