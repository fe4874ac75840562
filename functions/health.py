"""``GET /api/health``: liveness and readiness of the app, as JSON.

Liveness is always "ok" when the function answers. Readiness needs the database reachable (a
round trip within two seconds) and no pending platform or tenant migrations. The answer is 200
``{"status": "ok", "checks": {...}}`` when ready, else 503 with ``"status": "unavailable"`` and
``"failed"`` naming the checks that failed (a check that could not run is "unknown"). The
database pool is created lazily from ``DATABASE_URL`` on the first request (psycopg is imported
then, not at ``import function_app``) and reused afterwards; the function is synchronous, so the
host runs it off the event loop.
"""

from __future__ import annotations

import functools
import json
import os
from typing import TYPE_CHECKING

import azure.functions as func

if TYPE_CHECKING:
    from shared.adapters.store.postgres.database import Database

bp = func.Blueprint()

_PING_TIMEOUT_S = 2.0
_UNKNOWN = "unknown"  # a check that could not run because an earlier one failed


@functools.cache
def _database(url: str) -> Database:
    from shared.adapters.store.postgres.database import Database

    database = Database(url, min_size=0, max_size=2)
    database.open(timeout=_PING_TIMEOUT_S)
    return database


def _readiness(url: str | None) -> dict[str, str]:
    if not url:
        return {"database": "not configured (DATABASE_URL is unset)", "migrations": _UNKNOWN}
    from shared.adapters.store.postgres.migrations import pending_migrations

    database = _database(url)
    if not database.ping():
        return {"database": "unreachable", "migrations": _UNKNOWN}
    try:
        with database.connection() as conn:
            pending = pending_migrations(conn)
    except Exception as exc:
        return {"database": f"error: {type(exc).__name__}", "migrations": _UNKNOWN}
    return {
        "database": "ok",
        "migrations": "ok" if not pending else "pending: " + ", ".join(pending),
    }


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    checks = {"live": "ok", **_readiness(os.environ.get("DATABASE_URL"))}
    ready = all(result == "ok" for result in checks.values())
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if not ready:
        body["failed"] = [n for n, r in checks.items() if r not in ("ok", _UNKNOWN)]
    return func.HttpResponse(
        json.dumps(body), status_code=200 if ready else 503, mimetype="application/json"
    )
