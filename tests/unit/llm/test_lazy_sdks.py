"""The LLM SDKs load inside their adapters only: importing the app and the hub stays light."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

PROBE = """
import json, sys
import function_app, shared.bootstrap, shared.services.llm_hub, shared.adapters.llm.providers
sdks = ("openai", "anthropic", "ollama", "azure.identity")
print(json.dumps(sorted(m for m in sdks if m in sys.modules)))
"""


def test_importing_the_app_and_the_hub_loads_no_llm_sdk() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
