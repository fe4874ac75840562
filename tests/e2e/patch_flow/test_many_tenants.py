"""Many tenants' tasks at once: none lost, none duplicated, each with its own PR.

The full 50 tenants x 10 tasks run is ``python -m benchmarks.patch_flow_scale``; this test runs
the same harness at a size that fits the suite."""

from __future__ import annotations

import secrets

from benchmarks.patch_flow_scale import prepare, send_all, verify, wait_all


def test_concurrent_tasks_of_many_tenants_all_complete_exactly_once(app, app_host) -> None:
    prepared = prepare(app, tenants=8, tasks=3, prefix=f"many{secrets.token_hex(2)}")
    load = send_all(app_host.base_url, prepared, senders=24)
    assert len(load.tasks) == 24 and not load.refused
    done = wait_all(app_host, list(load.tasks), deadline_s=240)
    assert verify(app, app_host, load, done) == []
    assert all(app.audit.verify_chain(t.slug).ok for t, _ in prepared)
