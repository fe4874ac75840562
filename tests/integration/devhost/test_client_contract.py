"""Contract: the unmodified SDK ``DurableOrchestrationClient`` against devhost, call by call.

The client is built from the binding JSON devhost injects into client functions, so every call
goes to ``rpcBaseUrl`` with the SDK's own URLs, bodies and status-code handling.
"""

from __future__ import annotations

import json
import secrets
import urllib.request
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
import azure.functions as func
import pytest
from azure.durable_functions import DurableOrchestrationClient, OrchestrationRuntimeStatus

from devhost.testing import RunningDevhost
from tests.integration.devhost.durable_helpers import (
    status_of,
    wait_finished,
    wait_status,
    wait_until,
)

Running = OrchestrationRuntimeStatus


@pytest.fixture
def client(durable_host: RunningDevhost) -> DurableOrchestrationClient:
    return DurableOrchestrationClient(durable_host.client_binding())


def start(host: RunningDevhost, client, name: str, payload=None, instance_id=None) -> str:
    return host.run(client.start_new(name, instance_id, payload))


def test_binding_points_every_url_at_devhost(durable_host, client):
    binding = json.loads(durable_host.client_binding())
    assert binding["rpcBaseUrl"] == f"http://127.0.0.1:{durable_host.port}/durabletask/"
    assert (
        binding["baseUrl"] == f"http://localhost:{durable_host.port}/runtime/webhooks/durabletask"
    )
    assert binding["taskHubName"] == "DevhostTests"


def test_start_new_and_get_status_with_history(durable_host, client):
    instance_id = start(durable_host, client, "hello_sequence", {"unused": True})
    status = wait_finished(durable_host, client, instance_id)
    assert status.runtime_status == Running.Completed
    assert status.output == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    assert status.input_ == {"unused": True}
    assert status.custom_status == "greeting London"
    assert status.name == "hello_sequence"
    events = status.historyEvents
    kinds = [e["EventType"] for e in events]
    assert kinds == ["ExecutionStarted"] + ["TaskCompleted"] * 3 + ["ExecutionCompleted"]
    assert [e.get("FunctionName") for e in events[1:4]] == ["say_hello"] * 3
    assert events[1]["Result"] == "Hello Tokyo!"
    assert events[-1]["OrchestrationStatus"] == "Completed"
    assert status.created_time <= status.last_updated_time


def test_start_new_with_an_id_refuses_a_running_duplicate_and_unknown_functions(
    durable_host, client
):
    instance_id = f"dup-{secrets.token_hex(4)}"
    assert start(durable_host, client, "waiter", None, instance_id) == instance_id
    with pytest.raises(Exception, match="already exists"):
        start(durable_host, client, "waiter", None, instance_id)
    with pytest.raises(Exception, match="The function 'no_such_orchestrator' doesn't exist"):
        start(durable_host, client, "no_such_orchestrator")
    durable_host.run(client.terminate(instance_id, "cleanup"))


def test_get_status_of_an_unknown_instance_is_empty(durable_host, client):
    status = status_of(durable_host, client, "no-such-instance")
    assert not status
    assert status.runtime_status is None


def test_raise_event_completes_a_waiting_orchestration(durable_host, client):
    instance_id = start(durable_host, client, "waiter")
    durable_host.run(client.raise_event(instance_id, "go", "Paris"))
    status = wait_finished(durable_host, client, instance_id)
    assert (status.runtime_status, status.output) == (Running.Completed, "Hello Paris!")
    with pytest.raises(Exception, match="is gone"):
        durable_host.run(client.raise_event(instance_id, "go", "again"))
    with pytest.raises(Exception, match="No instance with ID nobody found"):
        durable_host.run(client.raise_event("nobody", "go", 1))


def test_get_status_all_and_by_filters(durable_host, client):
    prefix = f"q-{secrets.token_hex(3)}-"
    before = datetime.now(UTC) - timedelta(seconds=5)
    done = start(durable_host, client, "hello_sequence", None, prefix + "done")
    waiting = start(durable_host, client, "waiter", None, prefix + "waiting")
    wait_finished(durable_host, client, done)
    wait_status(durable_host, client, waiting, Running.Running)
    everything = durable_host.run(client.get_status_all())
    assert {done, waiting} <= {s.instance_id for s in everything}
    by_prefix = durable_host.run(client.get_status_by(instance_id_prefix=prefix))
    assert sorted(s.instance_id for s in by_prefix) == [done, waiting]
    running = durable_host.run(
        client.get_status_by(created_time_from=before, runtime_status=[Running.Running])
    )
    ids = {s.instance_id for s in running}
    assert waiting in ids
    assert done not in ids
    future = durable_host.run(
        client.get_status_by(created_time_from=datetime.now(UTC) + timedelta(hours=1))
    )
    assert future == []
    durable_host.run(client.terminate(waiting, "cleanup"))


def test_terminate(durable_host, client):
    instance_id = start(durable_host, client, "waiter")
    durable_host.run(client.terminate(instance_id, "no longer needed"))
    status = wait_finished(durable_host, client, instance_id)
    assert (status.runtime_status, status.output) == (Running.Terminated, "no longer needed")
    durable_host.run(client.terminate(instance_id, "again"))  # 410: accepted silently
    with pytest.raises(Exception, match="No instance with ID 'ghost' found"):
        durable_host.run(client.terminate("ghost", "x"))


def test_suspend_buffers_events_until_resume(durable_host, client):
    instance_id = start(durable_host, client, "waiter")
    durable_host.run(client.suspend(instance_id, "hold on"))
    wait_status(durable_host, client, instance_id, Running.Suspended)
    durable_host.run(client.raise_event(instance_id, "go", "Lima"))
    assert status_of(durable_host, client, instance_id).runtime_status == Running.Suspended
    durable_host.run(client.resume(instance_id, "carry on"))
    status = wait_finished(durable_host, client, instance_id)
    assert (status.runtime_status, status.output) == (Running.Completed, "Hello Lima!")
    kinds = [e["EventType"] for e in status.historyEvents]
    assert kinds.index("ExecutionSuspended") < kinds.index("ExecutionResumed")
    assert kinds.index("ExecutionResumed") < kinds.index("EventRaised")
    with pytest.raises(Exception, match="No instance with ID 'ghost' found"):
        durable_host.run(client.suspend("ghost", "x"))


def test_rewind_reruns_the_failed_activity(durable_host, client):
    instance_id = start(
        durable_host, client, "fails_once", {"key": secrets.token_hex(4), "failures": 1}
    )
    failed = wait_finished(durable_host, client, instance_id)
    assert failed.runtime_status == Running.Failed
    assert "flaky failure 1" in failed.output
    durable_host.run(client.rewind(instance_id, "fixed the cause"))
    status = wait_finished(durable_host, client, instance_id)
    assert (status.runtime_status, status.output) == (Running.Completed, "ok after 1 failures")
    with pytest.raises(Exception, match='only orchestrations in the "Failed" state'):
        durable_host.run(client.rewind(instance_id, "not failed"))


def test_restart_with_a_new_and_with_the_same_id(durable_host, client):
    instance_id = start(durable_host, client, "fan_out_fan_in", 3)
    assert wait_finished(durable_host, client, instance_id).output == 6
    renewed = durable_host.run(client.restart(instance_id))
    assert renewed != instance_id
    assert wait_finished(durable_host, client, renewed).output == 6
    same = durable_host.run(client.restart(instance_id, restart_with_new_instance_id=False))
    assert same == instance_id
    status = wait_finished(durable_host, client, instance_id)
    assert (status.runtime_status, status.input_) == (Running.Completed, 3)
    with pytest.raises(Exception, match="No instance with ID 'ghost' found"):
        durable_host.run(client.restart("ghost"))


def test_purge_one_and_by_filter(durable_host, client):
    finished = start(durable_host, client, "fan_out_fan_in", 1)
    wait_finished(durable_host, client, finished)
    assert durable_host.run(client.purge_instance_history(finished)).instances_deleted == 1
    assert not status_of(durable_host, client, finished)
    assert durable_host.run(client.purge_instance_history("ghost")).instances_deleted == 0
    waiting = start(durable_host, client, "waiter")
    with pytest.raises(Exception, match="unexpected status code 412"):
        durable_host.run(client.purge_instance_history(waiting))
    since = datetime.now(UTC) - timedelta(seconds=1)
    a = start(durable_host, client, "fan_out_fan_in", 2)
    b = start(durable_host, client, "fan_out_fan_in", 2)
    wait_finished(durable_host, client, a)
    wait_finished(durable_host, client, b)
    purged = durable_host.run(
        client.purge_instance_history_by(
            created_time_from=since, runtime_status=[Running.Completed, Running.Running]
        )
    )
    assert purged.instances_deleted >= 2
    assert not status_of(durable_host, client, a)
    assert status_of(durable_host, client, waiting).runtime_status == Running.Running
    durable_host.run(client.terminate(waiting, "cleanup"))


def test_signal_entity_and_read_entity_state(durable_host, client):
    entity = df.EntityId("Counter", f"c-{secrets.token_hex(4)}")
    assert not durable_host.run(client.read_entity_state(entity)).entity_exists
    durable_host.run(client.signal_entity(entity, "add", 3))
    durable_host.run(client.signal_entity(entity, "add", 4))

    def state():
        response = durable_host.run(client.read_entity_state(entity))
        return response.entity_exists and response.entity_state == 7

    wait_until(state, what="counter to reach 7")
    with pytest.raises(Exception, match="unexpected status code 400"):
        durable_host.run(client.read_entity_state(df.EntityId("NoSuchEntity", "k")))


def test_check_status_response_points_at_devhost_and_works(durable_host, client):
    instance_id = start(durable_host, client, "fan_out_fan_in", 4)
    request = func.HttpRequest("POST", f"{durable_host.base_url}/api/start/x", body=b"")
    response = client.create_check_status_response(request, instance_id)
    assert response.status_code == 202
    payload = json.loads(response.get_body())
    assert payload["id"] == instance_id
    status_url = payload["statusQueryGetUri"]
    assert status_url.startswith(f"{durable_host.base_url}/runtime/webhooks/durabletask/")
    assert response.headers["Location"] == status_url

    def completed():
        with urllib.request.urlopen(status_url, timeout=10) as answer:
            body = json.loads(answer.read())
        return body if body["runtimeStatus"] == "Completed" else None

    assert wait_until(completed)["output"] == 12


def test_wait_for_completion_or_create_check_status_response(durable_host, client):
    request = func.HttpRequest("POST", f"{durable_host.base_url}/api/run/x", body=b"")
    done = start(durable_host, client, "fan_out_fan_in", 5)
    response = durable_host.run(
        client.wait_for_completion_or_create_check_status_response(request, done, 20000, 50)
    )
    assert (response.status_code, json.loads(response.get_body())) == (200, 20)
    failing = start(durable_host, client, "sub_child_fails", "x")
    response = durable_host.run(
        client.wait_for_completion_or_create_check_status_response(request, failing, 20000, 50)
    )
    assert response.status_code == 500
    assert json.loads(response.get_body())["runtimeStatus"] == "Failed"
    waiting = start(durable_host, client, "waiter")
    response = durable_host.run(
        client.wait_for_completion_or_create_check_status_response(request, waiting, 200, 50)
    )
    assert response.status_code == 202
    durable_host.run(client.terminate(waiting, "cleanup"))


def test_http_starter_function_uses_the_injected_client(durable_host):
    url = f"{durable_host.base_url}/api/run/fan_out_fan_in"
    request = urllib.request.Request(url, data=b"6", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert (response.status, json.loads(response.read())) == (200, 30)
