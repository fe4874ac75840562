"""``GET /api/health``: liveness and readiness of the app, as JSON.

Liveness is always "ok" when the function answers. Readiness needs valid settings, the database
reachable (a round trip within two seconds) and no pending platform or tenant migrations. The
answer is 200 ``{"status": "ok", "checks": {...}}`` when ready, else 503 with ``"status":
"unavailable"`` and ``"failed"`` naming the checks that failed (a check that could not run is
"unknown"). Settings and the database pool are the composition root's (``shared.bootstrap``), so
health connects exactly as the app does: ``DATABASE_URL`` locally, ``POSTGRES_HOST`` and its login
in Azure. They are built on the first request (psycopg is imported then, not at ``import
function_app``) and reused afterwards; the function is synchronous, so the host runs it off the
event loop.
"""

from __future__ import annotations

import json

import azure.functions as func

bp = func.Blueprint()

_UNKNOWN = "unknown"  # a check that could not run because an earlier one failed


def _readiness() -> dict[str, str]:
    from shared.adapters.store.postgres.migrations import pending_migrations
    from shared.bootstrap import container
    from shared.domain.errors import ConfigurationError, Unavailable

    try:
        database = container().db
    except ConfigurationError as exc:
        return {"settings": str(exc), "database": _UNKNOWN, "migrations": _UNKNOWN}
    except Unavailable:
        return {"settings": "ok", "database": "unreachable", "migrations": _UNKNOWN}
    if not database.ping():
        return {"settings": "ok", "database": "unreachable", "migrations": _UNKNOWN}
    try:
        with database.connection() as conn:
            pending = pending_migrations(conn)
    except Exception as exc:
        return {
            "settings": "ok",
            "database": f"error: {type(exc).__name__}",
            "migrations": _UNKNOWN,
        }
    return {
        "settings": "ok",
        "database": "ok",
        "migrations": "ok" if not pending else "pending: " + ", ".join(pending),
    }


@bp.route(route="api/health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    checks = {"live": "ok", **_readiness()}
    ready = all(result == "ok" for result in checks.values())
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if not ready:
        body["failed"] = [n for n, r in checks.items() if r not in ("ok", _UNKNOWN)]
    return func.HttpResponse(
        json.dumps(body), status_code=200 if ready else 503, mimetype="application/json"
    )
