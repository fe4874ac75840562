"""GitLab and Azure DevOps for the review e2e tests, each seen as a ``Reviewed`` (see
``reviewed_scms``): a tenant connected to its emulator through the real adapter, a merge/pull
request that adds median() with a reviewer's comment on line 19, a push, and the SCM's own
webhook for an ``/agent review`` comment."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from shared.domain.scm import PullRequestDraft
from shared.domain.task import Provider
from tests.e2e.patch_flow.reviewed_scms import (
    CREDENTIALS,
    HUMAN,
    MEDIAN,
    OUTSIDER,
    STATS,
    Reviewed,
    connect,
    forge_push,
    stats_text,
)
from tests.integration.scm.azure_devops_server import AdoEmulator
from tests.integration.scm.forge import Forge
from tests.integration.scm.gitlab_server import GitlabEmulator
from tests.unit.intake.deliveries import fixture, headers_for, with_delivery_id
from tools.demo.scenario import REPOSITORY, REQUESTER, sample_files

ADO_PROJECT = "Fabrikam"


@contextmanager
def gitlab(app, http) -> Iterator[Reviewed]:
    token = secrets.token_urlsafe(24)
    emulator = GitlabEmulator(REPOSITORY, Forge(sample_files()), token)
    for user, level in ((REQUESTER, 30), (OUTSIDER, 20), (emulator.login, 40), ("octo-lead", 40)):
        emulator.add_user(user, level)
    push = forge_push(emulator.forge, "feature/median")
    push(stats_text() + MEDIAN)
    with emulator.server.running():
        connection = connect(app, Provider.GITLAB, REPOSITORY, emulator.url, token)
        slug = connection.tenant
        scm = app.scm.for_connection(connection, app.secrets)
        draft = PullRequestDraft("feature/median", "main", "Add median()", "Adds median.")
        iid = scm.pull_requests.open_pull_request(slug, draft).number
        version = emulator.versions(str(iid))[0]
        position = {
            "position_type": "text",
            "base_sha": version["base_commit_sha"],
            "start_sha": version["start_commit_sha"],
            "head_sha": version["head_commit_sha"],
            "old_path": STATS,
            "new_path": STATS,
            "new_line": 19,
        }
        lead = {"id": emulator.users["octo-lead"][0], "username": "octo-lead", "state": "active"}
        emulator.add_discussion_note(iid, lead, HUMAN, position=position)

        def send(body: str, user: str) -> tuple[int, dict]:
            item = fixture("gitlab/note_hook/go-gitlab.note_merge_request.json")
            payload = item.payload()
            payload["user"] |= {"username": user, "id": emulator.users[user][0]}
            payload["project"] |= {"id": 3, "path_with_namespace": REPOSITORY}
            payload["object_attributes"] |= {
                "note": body,
                "project_id": 3,
                "noteable_type": "MergeRequest",
            }
            payload["merge_request"] |= {"iid": iid, "title": "Add median()"}
            item = item.with_payload(payload)
            return http.request(
                "POST", f"/api/webhooks/gitlab/{slug}", item.body, headers_for(item, CREDENTIALS)
            )

        def notes(mine: bool, inline: bool) -> list[dict]:
            return [
                n
                for n in emulator.notes[("merge_requests", iid)]
                if (n["author"]["username"] == emulator.login) == mine
                and ("position" in n) == inline
                and not n.get("resolved")
            ]

        yield Reviewed(
            slug,
            iid,
            push,
            send,
            lambda: {
                (n["position"]["new_path"], n["position"]["new_line"]): n["body"]
                for n in notes(True, True)
            },
            lambda: [n["body"] for n in notes(False, True)],
            lambda: [n["body"] for n in notes(True, False)],
            lambda: {n["position"]["head_sha"] for n in notes(True, True)},
        )


@contextmanager
def azure_devops(app, http) -> Iterator[Reviewed]:
    token = secrets.token_urlsafe(24)
    emulator = AdoEmulator("contoso", ADO_PROJECT, "calc", Forge(sample_files()), token)
    people = {user: f"{user}@contoso.example" for user in (REQUESTER, OUTSIDER, "octo-lead")}
    emulator.add_person(people[REQUESTER], contribute=True)
    emulator.add_person(people[OUTSIDER])
    push = forge_push(emulator.forge, "feature/median")
    push(stats_text() + MEDIAN)
    with emulator.server.running():
        repository = f"{ADO_PROJECT}/calc"
        connection = connect(app, Provider.AZURE_DEVOPS, repository, emulator.org_url, token)
        scm = app.scm.for_connection(connection, app.secrets)
        draft = PullRequestDraft("feature/median", "main", "Add median()", "Adds median.")
        pr = scm.pull_requests.open_pull_request(connection.tenant, draft).number
        at = {"line": 19, "offset": 1}
        context = {"filePath": f"/{STATS}", "rightFileStart": at, "rightFileEnd": at}
        lead = {"displayName": "Octo Lead", "uniqueName": people["octo-lead"], "id": "id-lead"}
        emulator.add_thread(pr, lead, HUMAN, threadContext=context, status="active")

        def send(body: str, user: str) -> tuple[int, dict]:
            item = fixture("azure-devops/ms.vss-code.git-pullrequest-comment-event.json")
            payload = item.payload()
            comment, pull = payload["resource"]["comment"], payload["resource"]["pullRequest"]
            comment |= {"content": body, "commentType": "text"}
            comment["author"] |= {"uniqueName": people[user], "displayName": user}
            comment["lastContentUpdatedDate"] = comment["publishedDate"]
            pull |= {"pullRequestId": pr, "title": "Add median()"}
            pull["repository"] |= {"name": "calc"}
            pull["repository"]["project"] |= {"name": ADO_PROJECT}
            item = with_delivery_id(item.with_payload(payload), secrets.token_hex(16))
            return http.request(
                "POST",
                f"/api/webhooks/azure-devops/{connection.tenant}",
                item.body,
                headers_for(item, CREDENTIALS),
            )

        def threads(mine: bool, inline: bool) -> list[dict]:
            return [
                t
                for t in emulator.threads[pr]
                if (t["comments"][0]["author"]["uniqueName"] == emulator.login) == mine
                and ("threadContext" in t) == inline
                and not t["comments"][0]["isDeleted"]
            ]

        def iteration(thread: dict) -> int:
            context = thread["pullRequestThreadContext"]["iterationContext"]
            return int(context["secondComparingIteration"])

        yield Reviewed(
            connection.tenant,
            pr,
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
            lambda: {
                emulator.iterations(str(pr))[iteration(t) - 1]["sourceRefCommit"]["commitId"]
                for t in threads(True, True)
            },
        )
