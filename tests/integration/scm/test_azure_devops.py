"""AdoScm with the real azure-devops SDK against a local Azure DevOps-shaped REST server."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from shared.adapters.scm import scm_for
from shared.domain.errors import (
    ScmAuthError,
    ScmConflict,
    ScmError,
    ScmNotFound,
    ScmRateLimited,
    ScmUnavailable,
)
from shared.domain.scm import (
    ChangeSet,
    FileChange,
    PullRequestDraft,
    ReadLimits,
    ScmAuth,
    ScmConnection,
    SkipReason,
    comment_marker,
)
from shared.domain.task import Provider, SourceKind
from shared.ports.scm import Scm
from tests.integration.scm.azure_devops_server import AdoEmulator
from tests.integration.scm.forge import Forge

TENANT = "acme"
PAT = secrets.token_urlsafe(24)  # made per run
FILES = {
    "README.md": b"# demo\n",
    "src/app.py": b"def add(a, b):\n    return a - b\n",
    "assets/logo.png": b"\x89PNG\x00\x00binary",
    "data/big.csv": b"0123456789\n" * 10_000,
}
LIMITS = ReadLimits(max_file_bytes=64 * 1024)
CHANGE = ChangeSet(
    "agent/t-1",
    "main",
    "Fix add",
    (
        FileChange("src/app.py", "def add(a, b):\n    return a + b\n"),
        FileChange("tests/test_app.py", "def test_add():\n    assert True\n"),
        FileChange("README.md", None),
    ),
)


@pytest.fixture
def ado(secret_store) -> Iterator[tuple[AdoEmulator, Scm]]:
    emulator = AdoEmulator("contoso", "Fabrikam", "demo", Forge(FILES), PAT)
    wid = emulator.add_work_item("add() subtracts", "<div>2+2 gives 0</div>", "alice", "bug; agent")
    for text in ("confirmed", "seen", "me too"):  # more than one page of comments
        emulator.add_wi_note(wid, "bob", text)
    secret_store.set(TENANT, "ado-pat", PAT)
    with emulator.server.running():
        connection = ScmConnection(
            TENANT, Provider.AZURE_DEVOPS, "Fabrikam/demo", emulator.org_url, "ado-pat"
        )
        yield emulator, scm_for(connection, secret_store, limits=LIMITS, timeout_s=5)


def _api(emulator: AdoEmulator) -> list[Any]:
    return [r for r in emulator.server.requests if r.method != "OPTIONS"]


def test_reads_the_work_item_and_the_repository(ado) -> None:
    emulator, scm = ado

    item = scm.source.get_source(TENANT, SourceKind.WORK_ITEM, "100")
    tree = scm.repository.list_tree(TENANT, "main")
    app = scm.repository.read_file(TENANT, "main", "src/app.py")
    big = scm.repository.read_file(TENANT, "main", "data/big.csv")
    logo = scm.repository.read_file(TENANT, "main", "assets/logo.png")

    assert (item.title, item.body, item.author, item.labels) == (
        "add() subtracts",
        "<div>2+2 gives 0</div>",
        "alice@contoso.com",
        ("bug", "agent"),
    )
    assert [c.body for c in item.comments] == ["confirmed", "seen", "me too"]
    assert item.url == f"{emulator.org_url}/Fabrikam/_workitems/edit/100"
    assert scm.repository.default_branch(TENANT) == "main"
    by_path = {e.path: e for e in tree.entries}
    assert set(by_path) == set(FILES)
    assert by_path["data/big.csv"].skipped is SkipReason.TOO_LARGE
    assert tree.commit_sha == emulator.forge.branches["main"]
    assert app.text == FILES["src/app.py"].decode()
    assert (big.text, big.skipped) == (None, SkipReason.TOO_LARGE)
    assert (logo.text, logo.skipped) == (None, SkipReason.BINARY)
    requests = _api(emulator)
    expected_auth = "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
    assert all(r.headers["authorization"] == expected_auth for r in requests)
    comments = [r for r in requests if r.path.endswith("/workItems/100/comments")]
    assert comments[0].headers["accept"] == "application/json;api-version=7.1-preview.4"
    assert [r.query.get("continuationToken") for r in comments] == [None, ["2"]]


def test_pushes_a_branch_opens_a_pull_request_and_comments(ado) -> None:
    emulator, scm = ado

    push = scm.branches.push_change(TENANT, CHANGE)
    pull = scm.pull_requests.open_pull_request(
        TENANT,
        PullRequestDraft(push.branch, "main", "Fix add", "Fixes AB#100", ("agent",), draft=True),
    )
    wi_comment = scm.comments.upsert_comment(
        TENANT, SourceKind.WORK_ITEM, "100", "t-1", "PR opened"
    )
    pr_comment = scm.comments.upsert_comment(
        TENANT, SourceKind.PULL_REQUEST, str(pull.number), "t-1", "ready"
    )

    assert push.created and pull.created
    assert emulator.forge.read("agent/t-1", "src/app.py") == b"def add(a, b):\n    return a + b\n"
    assert emulator.forge.read("agent/t-1", "README.md") is None
    body = emulator.server.calls("POST", r"/pushes$")[0].json()
    assert body["refUpdates"] == [
        {"name": "refs/heads/agent/t-1", "oldObjectId": emulator.forge.branches["main"]}
    ]
    assert body["commits"] == [
        {
            "comment": "Fix add",
            "changes": [
                {
                    "changeType": "edit",
                    "item": {"path": "/src/app.py"},
                    "newContent": {
                        "content": "def add(a, b):\n    return a + b\n",
                        "contentType": "rawtext",
                    },
                },
                {
                    "changeType": "add",
                    "item": {"path": "/tests/test_app.py"},
                    "newContent": {
                        "content": "def test_add():\n    assert True\n",
                        "contentType": "rawtext",
                    },
                },
                {"changeType": "delete", "item": {"path": "/README.md"}},
            ],
        }
    ]
    assert emulator.server.calls("POST", r"/pullRequests$")[0].json() == {
        "sourceRefName": "refs/heads/agent/t-1",
        "targetRefName": "refs/heads/main",
        "title": "Fix add",
        "description": "Fixes AB#100",
        "isDraft": True,
        "labels": [{"name": "agent"}],
    }
    assert (pull.number, pull.state) == (20, "open")
    assert pull.url == f"{emulator.org_url}/Fabrikam/_git/demo/pullrequest/20"
    assert wi_comment.body == f"PR opened\n\n{comment_marker('t-1')}"
    assert emulator.wi_comments[100][-1]["text"] == wi_comment.body
    thread = emulator.server.calls("POST", r"/threads$")[0].json()
    assert thread["status"] == "closed" and thread["comments"][0]["content"] == pr_comment.body


def test_a_second_run_reuses_the_branch_pull_request_and_comments(ado) -> None:
    emulator, scm = ado
    draft = PullRequestDraft("agent/t-1", "main", "Fix add", "")
    push1 = scm.branches.push_change(TENANT, CHANGE)
    pull1 = scm.pull_requests.open_pull_request(TENANT, draft)
    wi1 = scm.comments.upsert_comment(TENANT, SourceKind.WORK_ITEM, "100", "t-1", "working")
    pr1 = scm.comments.upsert_comment(
        TENANT, SourceKind.PULL_REQUEST, str(pull1.number), "t-1", "a"
    )
    emulator.server.clear()

    push2 = scm.branches.push_change(TENANT, CHANGE)
    pull2 = scm.pull_requests.open_pull_request(TENANT, draft)
    wi2 = scm.comments.upsert_comment(TENANT, SourceKind.WORK_ITEM, "100", "t-1", "done")
    pr2 = scm.comments.upsert_comment(
        TENANT, SourceKind.PULL_REQUEST, str(pull1.number), "t-1", "b"
    )

    assert not push2.created and push2.commit_sha == push1.commit_sha
    assert not pull2.created and pull2.number == pull1.number
    assert (wi2.id, pr2.id) == (wi1.id, pr1.id)
    assert [c["text"].split("\n")[0] for c in emulator.wi_comments[100]] == [
        "confirmed",
        "seen",
        "me too",
        "done",
    ]
    thread, cid = pr1.id.split("/")
    writes = [
        (r.method, r.path.rsplit("_apis/", 1)[1]) for r in _api(emulator) if r.method != "GET"
    ]
    assert writes == [
        ("PATCH", f"wit/workItems/100/comments/{wi1.id}"),
        (
            "PATCH",
            f"git/repositories/demo/pullRequests/{pull1.number}/threads/{thread}/comments/{cid}",
        ),
    ]


def test_an_agent_branch_with_other_content_is_a_conflict(ado) -> None:
    emulator, scm = ado
    scm.branches.push_change(TENANT, CHANGE)
    emulator.server.clear()

    with pytest.raises(ScmConflict):
        scm.branches.push_change(
            TENANT, ChangeSet("agent/t-1", "main", "x", (FileChange("src/app.py", "x\n"),))
        )
    assert not [r for r in _api(emulator) if r.method != "GET"]


@pytest.mark.parametrize(
    ("status", "headers", "error", "retryable"),
    [
        (401, {}, ScmAuthError, False),
        (404, {}, ScmNotFound, False),
        (409, {}, ScmConflict, False),
        (429, {"Retry-After": "30", "X-RateLimit-Resource": "Core"}, ScmRateLimited, True),
        (502, {}, ScmUnavailable, True),
        (400, {}, ScmError, False),
    ],
)
def test_http_failures_map_to_domain_errors_without_retrying(
    ado, status, headers, error, retryable
) -> None:
    emulator, scm = ado
    scm.repository.default_branch(TENANT)  # routes discovered (OPTIONS) before the failure
    emulator.server.fail(
        "GET", r"/workItems/100$", status, {"message": f"failure {status}"}, headers
    )

    with pytest.raises(error) as caught:
        scm.source.get_source(TENANT, SourceKind.WORK_ITEM, "100")

    assert type(caught.value) is error and caught.value.retryable is retryable
    assert len(emulator.server.calls("GET", r"/workItems/100$")) == 1  # msrest did not retry
    if status == 429:
        assert caught.value.retry_after == 30.0


def test_a_stale_ref_on_push_is_a_conflict(ado) -> None:
    emulator, scm = ado
    emulator.server.fail(
        "POST", r"/pushes$", 409, {"message": "TF401028: The reference has already been updated"}
    )
    with pytest.raises(ScmConflict):
        scm.branches.push_change(TENANT, CHANGE)


def test_a_throttled_request_waits_until_the_reset_time(ado) -> None:
    emulator, scm = ado
    reset = int(time.time()) + 60
    emulator.server.fail(
        "GET", r"/repositories/demo$", 429, None, {"X-RateLimit-Reset": str(reset)}
    )
    with pytest.raises(ScmRateLimited) as caught:
        scm.repository.default_branch(TENANT)
    assert 40 <= caught.value.retry_after <= 60


class _Token(NamedTuple):
    token: str
    expires_on: int


class StaticCredential:
    """An azure-core TokenCredential with a fixed token (no Entra ID here)."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> _Token:
        self.scopes.append(scopes)
        return _Token("entra-access-token", int(time.time()) + 3600)


def test_an_entra_id_token_is_sent_as_bearer(ado, secret_store) -> None:
    emulator, _ = ado
    emulator.auth.add("Bearer entra-access-token")
    credential = StaticCredential()
    connection = ScmConnection(
        TENANT, Provider.AZURE_DEVOPS, "Fabrikam/demo", emulator.org_url, auth=ScmAuth.ENTRA
    )

    branch = scm_for(
        connection, secret_store, azure_credential=credential
    ).repository.default_branch(TENANT)

    assert branch == "main"
    assert credential.scopes == [("499b84ac-1321-427f-aa17-267ca6975798/.default",)]
    assert _api(emulator)[-1].headers["authorization"] == "Bearer entra-access-token"


def test_a_closed_port_is_unavailable_at_once(secret_store) -> None:
    secret_store.set(TENANT, "ado-pat", PAT)
    connection = ScmConnection(
        TENANT, Provider.AZURE_DEVOPS, "P/r", "http://127.0.0.1:9/org", "ado-pat"
    )
    started = time.monotonic()
    with pytest.raises(ScmUnavailable):
        scm_for(connection, secret_store, timeout_s=2).repository.default_branch(TENANT)
    assert time.monotonic() - started < 2  # no retries with back-off


def test_resource_locations_never_come_from_the_sdks_file_cache(ado, tmp_path) -> None:
    """The SDK would trust a file under the home directory, keyed by URL alone, for 12 hours: a
    stale entry (another server once at this address) must not decide where requests go."""
    import azure.devops.client
    from azure.devops._file_cache import FileCache

    emulator, scm = ado
    stale = FileCache(str(tmp_path / "options.json"))
    stale[emulator.org_url] = []  # "this server has no APIs"
    azure.devops.client.OPTIONS_FILE_CACHE = stale  # as the SDK sets it up on import

    assert scm.source.get_source(TENANT, SourceKind.WORK_ITEM, "100").title == "add() subtracts"
    assert [r.path for r in emulator.server.requests if r.method == "OPTIONS"]  # asked the server
    assert stale[emulator.org_url] == []  # and wrote nothing there
