"""``python -m devhost instances ...`` operates a running devhost over its management API."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.durable_functions import DurableOrchestrationClient, OrchestrationRuntimeStatus

from devhost.cli import main
from devhost.testing import RunningDevhost, started_devhost
from tests.integration.devhost.durable_helpers import wait_finished, wait_status

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


@pytest.fixture(scope="module")
def host(database_url: str) -> Iterator[RunningDevhost]:
    schema = f"cli_{secrets.token_hex(4)}"
    with started_devhost(APPS / "durable_app", database_url, schema=schema) as running:
        yield running


@pytest.fixture
def client(host: RunningDevhost) -> DurableOrchestrationClient:
    return DurableOrchestrationClient(host.client_binding())


def cli(host: RunningDevhost, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["instances", "--url", host.base_url, *args], out=out)
    return code, out.getvalue()


def test_list_raise_show_and_purge(host, client):
    instance_id = f"cli-{secrets.token_hex(4)}"
    host.run(client.start_new("waiter", instance_id))
    wait_status(host, client, instance_id, OrchestrationRuntimeStatus.Running)

    code, listing = cli(host, "list", "--status", "Running")
    assert code == 0
    assert any(
        line.split()[:3] == [instance_id, "waiter", "Running"] for line in listing.splitlines()
    )

    assert cli(host, "raise", instance_id, "go", "--data", json.dumps("Rome"))[0] == 0
    assert wait_finished(host, client, instance_id).output == "Hello Rome!"

    code, shown = cli(host, "show", instance_id)
    assert code == 0
    assert "runtimeStatus    Completed" in shown
    assert 'output           "Hello Rome!"' in shown
    assert "EventRaised" in shown
    assert '"FunctionName": "say_hello"' in shown

    assert cli(host, "purge", instance_id) == (0, "purged 1 instance(s)\n")
    assert cli(host, "show", instance_id)[0] == 1


def test_terminate(host, client):
    instance_id = host.run(client.start_new("waiter"))
    assert cli(host, "terminate", instance_id, "--reason", "enough")[0] == 0
    status = wait_finished(host, client, instance_id)
    assert (status.runtime_status, status.output) == (
        OrchestrationRuntimeStatus.Terminated,
        "enough",
    )
    assert cli(host, "terminate", instance_id)[0] == 1  # already finished


def test_unknown_instances_and_hosts_are_clear_errors(host, capsys):
    assert cli(host, "show", "no-such-instance")[0] == 1
    assert "no instance with ID 'no-such-instance'" in capsys.readouterr().err
    assert cli(host, "raise", "no-such-instance", "go")[0] == 1
    code = main(["instances", "--url", "http://127.0.0.1:9", "list"], out=io.StringIO())
    assert code == 1
    assert "no devhost answering at http://127.0.0.1:9" in capsys.readouterr().err
