"""The real webhook fixtures (tests/fixtures/webhooks) and how to send them, signed or not.

Shared by the unit, integration and e2e intake tests. Header rules follow the fixtures' README:
GitHub's event is the folder name; GitLab's comes from the folder (``Confidential`` for the
confidential samples); Azure DevOps puts the event type in the body.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from shared.auth.webhooks import github_signature
from shared.domain.task import Provider

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "webhooks"

_GITLAB_HOOKS = {
    "issue_hook": "Issue Hook",
    "note_hook": "Note Hook",
    "merge_request_hook": "Merge Request Hook",
    "push_hook": "Push Hook",
    "pipeline_hook": "Pipeline Hook",
}


@dataclass(frozen=True)
class Fixture:
    path: str  # relative to FIXTURES, e.g. "github/issues/labeled.payload.json"
    body: bytes

    @property
    def provider(self) -> Provider:
        return Provider(self.path.split("/", 1)[0])

    @property
    def event(self) -> str:
        """The event header value (``""`` for Azure DevOps: no header)."""
        parts = self.path.split("/")
        if self.provider is Provider.GITHUB:
            return parts[1]
        if self.provider is Provider.GITLAB:
            if "confidential-issue" in parts[2]:
                return "Confidential Issue Hook"
            if "confidential-comment" in parts[2]:
                return "Confidential Note Hook"
            return _GITLAB_HOOKS[parts[1]]
        return ""

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    def with_payload(self, payload: dict[str, Any]) -> Fixture:
        return Fixture(self.path, json.dumps(payload).encode())


@cache
def all_fixtures() -> tuple[Fixture, ...]:
    """Every payload listed in MANIFEST.json, in its order."""
    manifest = json.loads((FIXTURES / "MANIFEST.json").read_text(encoding="utf-8"))
    found = []
    for entry in manifest:
        relative = entry["file"].removeprefix("webhooks/")
        found.append(Fixture(relative, (FIXTURES / relative).read_bytes()))
    return tuple(found)


def fixture(path: str) -> Fixture:
    return next(f for f in all_fixtures() if f.path == path)


def github_comment(
    body: str, *, issue: int = 1, user: str = "Codertocat", kind: str = "User"
) -> Fixture:
    """The real ``issue_comment.created`` payload with another body, issue and author."""
    item = fixture("github/issue_comment/created.payload.json")
    payload = item.payload()
    payload["comment"]["body"] = body
    payload["comment"]["user"]["login"] = user
    payload["comment"]["user"]["type"] = kind
    payload["issue"]["number"] = issue
    return item.with_payload(payload)


@dataclass(frozen=True)
class Credentials:
    """What a test tenant's SCMs sign with."""

    github: str = "gh-secret"
    gitlab: str = "gl-token"
    azure_devops_basic: str = "hook:ado-password"
    azure_devops_header: str = "ado-header-secret"
    azure_devops_header_name: str = "X-Agent-Webhook-Secret"

    def store_entries(self) -> dict[str, str]:
        """SecretStore name → value."""
        return {
            "webhook-github": self.github,
            "webhook-gitlab": self.gitlab,
            "webhook-azure-devops": self.azure_devops_basic,
            "webhook-azure-devops-header": self.azure_devops_header,
        }


def headers_for(
    item: Fixture, credentials: Credentials | None, *, delivery_id: str | None = None
) -> dict[str, str]:
    """The headers an SCM would send with ``item`` (signed when ``credentials`` is given)."""
    delivery = delivery_id or str(uuid.uuid4())
    headers = {"Content-Type": "application/json"}
    if item.provider is Provider.GITHUB:
        headers |= {"X-GitHub-Event": item.event, "X-GitHub-Delivery": delivery}
        if credentials:
            headers["X-Hub-Signature-256"] = github_signature(credentials.github, item.body)
    elif item.provider is Provider.GITLAB:
        headers |= {"X-Gitlab-Event": item.event, "X-Gitlab-Event-UUID": delivery}
        if credentials:
            headers["X-Gitlab-Token"] = credentials.gitlab
    elif credentials:
        basic = base64.b64encode(credentials.azure_devops_basic.encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
        headers[credentials.azure_devops_header_name] = credentials.azure_devops_header
    return headers


def with_delivery_id(item: Fixture, delivery_id: str) -> Fixture:
    """Azure DevOps carries its delivery id in the body: a copy with ``delivery_id``."""
    if item.provider is not Provider.AZURE_DEVOPS:
        return item
    return item.with_payload({**item.payload(), "id": delivery_id})
