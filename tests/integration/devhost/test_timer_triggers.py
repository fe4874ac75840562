"""Timer triggers on devhost: the app's schedule (from an app setting) is honoured, the function
gets a ``TimerRequest`` and its durable client, and each occurrence fires once per store."""

from __future__ import annotations

import itertools
import json
import secrets
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devhost.testing import started_devhost
from tests.integration.devhost.conftest import APPS
from tests.integration.devhost.durable_helpers import wait_until


def _ticks(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_timer_fires_on_its_schedule_with_a_durable_client(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "ticks.jsonl"
    settings = {"TICK_SCHEDULE": "*/2 * * * * *", "TICK_LOG": str(log)}
    schema = f"tm_{secrets.token_hex(4)}"
    app = APPS / "timer_app"
    with started_devhost(app, database_url, schema=schema, settings=settings) as host:
        ticks = wait_until(lambda: _ticks(log)[:3] if len(_ticks(log)) >= 3 else None, 30)
        fired = [datetime.fromisoformat(t["status"]["Last"]) for t in ticks]  # type: ignore[index]
        following = [datetime.fromisoformat(t["status"]["Next"]) for t in ticks]  # type: ignore[index]
        # Every two seconds: each occurrence on an even second, fired once, none skipped.
        assert all(t.second % 2 == 0 and t.microsecond == 0 for t in fired), fired
        assert [b - a for a, b in itertools.pairwise(fired)] == [timedelta(seconds=2)] * 2
        assert following == [t + timedelta(seconds=2) for t in fired]
        started = host.run(host.host.store.get_instance(str(ticks[0]["id"])))
        assert started is not None and started.name == "noop"
        # Another host of the same store cannot fire an occurrence already fired.
        due = fired[0].replace(microsecond=0)
        assert host.run(host.host.store.claim_timer("tick", due)) is False
        later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        assert host.run(host.host.store.claim_timer("tick", later)) is True
        assert host.run(host.host.store.claim_timer("tick", later)) is False


def test_the_admin_api_runs_a_timer_function_at_once(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "ticks.jsonl"
    settings = {"TICK_SCHEDULE": "0 0 0 1 1 *", "TICK_LOG": str(log)}  # once a year
    schema = f"tm_{secrets.token_hex(4)}"
    app = APPS / "timer_app"
    with started_devhost(app, database_url, schema=schema, settings=settings) as host:
        assert _post(f"{host.base_url}/admin/functions/tick") == 202
        [tick] = wait_until(lambda: _ticks(log), 30)
        assert tick["past_due"] is False
        assert datetime.fromisoformat(tick["status"]["Next"]).month == 1  # type: ignore[index]
        assert _post(f"{host.base_url}/admin/functions/no_such_timer") == 404
        assert _post(f"{host.base_url}/admin/functions/noop") == 404  # not a timer function


def _post(url: str) -> int:
    request = urllib.request.Request(url, data=b"{}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
