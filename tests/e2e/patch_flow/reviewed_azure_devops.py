"""The Azure DevOps case of ``reviewed_scms``: a tenant connected to the Azure DevOps emulator,
a pull request that adds median() to calc/stats.py with a reviewer's thread on line 17, pushes
to it, and ``/agent review`` sent as a pull request comment service hook."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.domain.scm import PullRequestDraft
from shared.domain.task import Provider
from tests.e2e.patch_flow.reviewed_scms import (
    CREDENTIALS,
    HUMAN,
    MEDIAN,
    OUTSIDER,
    STATS,
    Reviewed,
    _connect,
    _forge_push,
    stats_text,
)
from tests.integration.scm.azure_devops_server import AdoEmulator
from tests.integration.scm.forge import Forge
from tests.unit.intake.deliveries import fixture, headers_for, with_delivery_id
from tools.demo.scenario import REQUESTER, sample_files

PROJECT, REPO = "Fabrikam", "calc"
DOMAIN = "contoso.example"


@contextmanager
def azure_devops_reviewed(app, http) -> Iterator[Reviewed]:
    token = secrets.token_urlsafe(24)
    emulator = AdoEmulator("contoso", PROJECT, REPO, Forge(sample_files()), token)
    emulator.add_person(f"{REQUESTER}@{DOMAIN}", contribute=True)
    emulator.add_person(f"{OUTSIDER}@{DOMAIN}")
    lead = emulator.add_person(f"octo-lead@{DOMAIN}", contribute=True)
    push = _forge_push(emulator.forge, "feature/median")
    push(stats_text() + MEDIAN)
    with emulator.server.running():
        connection = _connect(
            app, Provider.AZURE_DEVOPS, f"{PROJECT}/{REPO}", emulator.org_url, token
        )
        slug = connection.tenant
        scm = app.scm.for_connection(connection, app.secrets)
        draft = PullRequestDraft("feature/median", "main", "Add median()", "Adds median.")
        number = scm.pull_requests.open_pull_request(slug, draft).number
        at = {"line": 17, "offset": 1}
        author = {"displayName": "Octo Lead", "uniqueName": f"octo-lead@{DOMAIN}", "id": lead["id"]}
        context = {"filePath": f"/{STATS}", "rightFileStart": at, "rightFileEnd": at}
        emulator.add_thread(number, author, HUMAN, status="active", threadContext=context)

        def send(body: str, user: str) -> tuple[int, dict]:
            item = fixture("azure-devops/ms.vss-code.git-pullrequest-comment-event.json")
            payload = item.payload()
            comment, pull = payload["resource"]["comment"], payload["resource"]["pullRequest"]
            comment["content"] = body
            comment["author"] |= {"uniqueName": f"{user}@{DOMAIN}", "displayName": user}
            comment["lastContentUpdatedDate"] = comment["publishedDate"]
            pull |= {"pullRequestId": number, "title": "Add median()"}
            pull["repository"] |= {"name": REPO}
            pull["repository"]["project"] |= {"name": PROJECT}
            item = with_delivery_id(item.with_payload(payload), secrets.token_hex(16))
            return http.request(
                "POST",
                f"/api/webhooks/{Provider.AZURE_DEVOPS.value}/{slug}",
                item.body,
                headers_for(item, CREDENTIALS),
            )

        def threads(mine: bool, inline: bool) -> list[dict[str, Any]]:
            """Live threads (not closed, first comment not deleted) by the agent or not."""
            return [
                t
                for t in emulator.threads[number]
                if (t["comments"][0]["author"]["uniqueName"] == emulator.login) == mine
                and ("threadContext" in t) == inline
                and not t["comments"][0]["isDeleted"]
                and (t["status"] != "closed" or not inline)
            ]

        yield Reviewed(
            slug,
            number,
            push,
            send,
            lambda: {
                (
                    t["threadContext"]["filePath"].lstrip("/"),
                    t["threadContext"]["rightFileStart"]["line"],
                ): t["comments"][0]["content"]
                for t in threads(True, True)
            },
            lambda: [t["comments"][0]["content"] for t in threads(False, True)],
            lambda: [t["comments"][0]["content"] for t in threads(True, False)],
        )
