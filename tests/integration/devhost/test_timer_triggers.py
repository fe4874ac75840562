"""Timer triggers on devhost: the app's schedule (from an app setting) is honoured, the function
gets a ``TimerRequest`` and its durable client, and each occurrence fires once per store."""

from __future__ import annotations

import itertools
import json
import secrets
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
