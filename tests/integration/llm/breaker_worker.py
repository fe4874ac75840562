"""A separate process calling a model through its own LlmHub (its own pool, same database).

Started by ``test_breaker_processes``: ``python breaker_worker.py DATABASE_URL DATA_DIR TENANT
BASE_URL``. It prints ``{"ready": true}``, then for each ``call`` line on stdin one JSON line:
the outcome (``ok`` or the error code) and how long the call took.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from shared.adapters.keys.local import LocalKeyProvider
from shared.adapters.llm.call_log import PostgresLlmCallLog
from shared.adapters.llm.postgres import PostgresCircuitStore, PostgresUsageLedger
from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.config import Settings
from shared.domain.errors import DomainError
from shared.services.llm_hub import LlmHub
from shared.services.llm_hub.breaker import BreakerPolicy, CircuitBreaker

POLICY = BreakerPolicy(failure_threshold=3, window_s=60, cooldown_s=1.0)
REVIEW = {"title": "t", "description": "d", "diff": "+x", "files": "-"}


def main(database_url: str, data_dir: str, tenant: str, base_url: str) -> None:
    db = Database(database_url, min_size=1, max_size=2)
    db.open()
    tenants = PostgresTenantDirectory(db)
    hub = LlmHub(
        providers=ConfiguredLlmProviders(
            Settings(data_dir=Path(data_dir), openai_api_key="sk-test-breaker")
        ),
        tenants=tenants,
        breaker=CircuitBreaker(PostgresCircuitStore(db), POLICY),
        ledger=PostgresUsageLedger(db),
        calls=PostgresLlmCallLog(db, tenants, PostgresAuditLog(db, tenants)),
        keys=LocalKeyProvider(Path(data_dir)),
    )
    route = {"provider": "openai", "model": "gpt-4o", "endpoint": base_url, "timeout_s": 5}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() != "call":
            break
        started = time.monotonic()
        try:
            hub.complete(tenant, "breaker", "review", REVIEW, [route])
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        print(json.dumps({"outcome": outcome, "elapsed": time.monotonic() - started}), flush=True)
    db.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
