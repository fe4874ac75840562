"""``python -m devhost instances ...``: operate a running devhost through its management API.

The commands speak HTTP to the same API the SDK's client uses (``--url``, default
``http://localhost:7071``), so they work against any devhost (or Functions host) and never
touch the store behind its back. Unknown instance ids and unreachable hosts give a one-line
error and exit status 1.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, TextIO

from devhost.durable.client_binding import WEBHOOK_PATH


class OpsError(Exception):
    """A command that could not be carried out; the message is for the user."""


@dataclass(frozen=True)
class ManagementClient:
    """A small synchronous client of the management API at ``base_url`` (http/https only)."""

    base_url: str
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if urllib.parse.urlsplit(self.base_url).scheme not in ("http", "https"):
            raise OpsError(f"--url must be an http(s) URL, got {self.base_url!r}")

    def call(
        self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        url = f"{self.base_url.rstrip('/')}{WEBHOOK_PATH}/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(json.dumps(body)).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        # the scheme is checked in __post_init__: only http(s) URLs are opened
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read())
        except urllib.error.URLError as exc:
            raise OpsError(f"no devhost answering at {self.base_url}: {exc.reason}") from exc


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def _quoted(instance_id: str) -> str:
    return urllib.parse.quote(instance_id, safe="")


def _expect(status: int, body: Any, instance_id: str, ok: tuple[int, ...]) -> None:
    if status in ok:
        return
    if status == 404:
        raise OpsError(f"no instance with ID '{instance_id}'")
    if status == 410:
        raise OpsError(f"instance '{instance_id}' has already finished")
    detail = body.get("Message") if isinstance(body, dict) else body
    raise OpsError(f"devhost answered {status}: {detail}")


def list_instances(
    client: ManagementClient, out: TextIO, statuses: list[str], prefix: str | None, top: int
) -> None:
    query = {"top": str(top), "showInput": "false"}
    if statuses:
        query["runtimeStatus"] = ",".join(statuses)
    if prefix:
        query["instanceIdPrefix"] = prefix
    status, body = client.call("GET", "instances/", query)
    _expect(status, body, "", (200,))
    out.write(f"{'INSTANCE ID':<40} {'NAME':<28} {'STATUS':<15} {'CREATED':<21} UPDATED\n")
    for item in body:
        out.write(
            f"{item['instanceId']:<40} {item['name']:<28} {item['runtimeStatus']:<15} "
            f"{item['createdTime']:<21} {item['lastUpdatedTime']}\n"
        )


def show_instance(client: ManagementClient, out: TextIO, instance_id: str, history: bool) -> None:
    query = {"showInput": "true"}
    if history:
        query.update(showHistory="true", showHistoryOutput="true")
    status, body = client.call("GET", f"instances/{_quoted(instance_id)}", query)
    _expect(status, body, instance_id, (200, 202, 500))
    for key in ("instanceId", "name", "runtimeStatus", "createdTime", "lastUpdatedTime"):
        out.write(f"{key:<16} {body.get(key)}\n")
    for key in ("input", "customStatus", "output"):
        out.write(f"{key:<16} {json.dumps(body.get(key))}\n")
    for event in body.get("historyEvents") or []:
        kind = event.pop("EventType")
        stamp = event.pop("Timestamp", "")
        out.write(f"  {stamp:<28} {kind:<34} {json.dumps(event, sort_keys=True)}\n")


def raise_event(client: ManagementClient, instance_id: str, name: str, data: Any) -> None:
    path = f"instances/{_quoted(instance_id)}/raiseEvent/{urllib.parse.quote(name, safe='')}"
    status, body = client.call("POST", path, body=data)
    _expect(status, body, instance_id, (202,))


def terminate(client: ManagementClient, instance_id: str, reason: str) -> None:
    status, body = client.call(
        "POST", f"instances/{_quoted(instance_id)}/terminate", {"reason": reason}
    )
    _expect(status, body, instance_id, (202,))


def purge(client: ManagementClient, instance_id: str) -> int:
    status, body = client.call("DELETE", f"instances/{_quoted(instance_id)}")
    _expect(status, body, instance_id, (200,))
    return int(body["instancesDeleted"])
