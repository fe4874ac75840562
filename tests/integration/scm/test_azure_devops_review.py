"""AdoReviews with the real azure-devops SDK against the local Azure DevOps-shaped REST server:
the pull request's diff computed from blobs, threads at lines, and re-runs that converge
without duplicates."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from shared.adapters.scm import scm_for
from shared.adapters.secrets.local import LocalSecretStore
from shared.domain.errors import (
    PermissionDenied,
    ScmAuthError,
    ScmConflict,
    ScmNotFound,
    ScmRateLimited,
    ScmUnavailable,
)
from shared.domain.review import (
    REVIEW_MARKER,
    SUMMARY_MARKER,
    DiffShas,
    ReviewComment,
    ReviewDraft,
    commentable_lines,
)
from shared.domain.scm import PullRequestDraft, ReadLimits, ScmConnection
from shared.domain.task import Provider
from shared.ports.scm import Scm
from tests.integration.scm.azure_devops_server import AdoEmulator
from tests.integration.scm.forge import Forge

TENANT = "acme"
PAT = secrets.token_urlsafe(24)  # made per run
APP = "".join(f"line {i}\n" for i in range(1, 21)).encode()
FILES = {
    "src/app.py": APP,
    "legacy.py": b"old = True\n",
    "docs/old.md": b"# Guide\n\nRead me.\n",
    "assets/logo.png": b"\x89PNG\x00\x00old",
}
#: line 5 replaced by two lines, line 15 removed: new 5-6 added, 4 and 7 context.
FEATURE = {
    "src/app.py": APP.replace(b"line 5\n", b"line 5a\nline 5b\n").replace(b"line 15\n", b""),
    "src/new.py": b"def new():\n    return 1\n",
    "legacy.py": None,
    "docs/old.md": None,
    "docs/guide.md": b"# Guide\n\nRead me.\n",
    "assets/logo.png": b"\x89PNG\x00\x00new",
}


def _scm(emulator: AdoEmulator, secret_store: LocalSecretStore, limits: ReadLimits) -> Scm:
    connection = ScmConnection(
        TENANT, Provider.AZURE_DEVOPS, "Fabrikam/demo", emulator.org_url, "ado-pat"
    )
    return scm_for(connection, secret_store, limits=limits, timeout_s=5)


@pytest.fixture
def ado(secret_store) -> Iterator[tuple[AdoEmulator, Scm, str]]:
    forge = Forge(FILES)
    forge.branches["feature"] = forge.commit_changes(forge.branches["main"], FEATURE, "work")
    emulator = AdoEmulator("contoso", "Fabrikam", "demo", forge, PAT)
    secret_store.set(TENANT, "ado-pat", PAT)
    with emulator.server.running():
        scm = _scm(emulator, secret_store, ReadLimits())
        pr = scm.pull_requests.open_pull_request(
            TENANT, PullRequestDraft("feature", "main", "Feature", "Adds new()")
        )
        yield emulator, scm, str(pr.number)


def _inline(emulator: AdoEmulator, pr: str) -> dict[tuple[str, int], dict[str, Any]]:
    """The agent's live inline threads by (path, right-side line)."""
    return {
        (
            t["threadContext"]["filePath"].lstrip("/"),
            t["threadContext"]["rightFileStart"]["line"],
        ): t
        for t in emulator.threads[int(pr)]
        if "threadContext" in t
        and t["comments"][0]["author"]["uniqueName"] == emulator.login
        and not t["comments"][0]["isDeleted"]
    }


def test_the_diff_is_computed_from_the_iteration_blobs(ado) -> None:
    emulator, scm, pr = ado

    diff = scm.reviews.pull_request_diff(TENANT, pr)

    iteration = emulator.iterations(pr)[-1]
    assert (diff.number, diff.title, diff.description) == (pr, "Feature", "Adds new()")
    assert (diff.base_sha, diff.head_sha) == (
        iteration["commonRefCommit"]["commitId"],
        iteration["sourceRefCommit"]["commitId"],
    )
    assert {(f.path, f.old_path, f.status) for f in diff.files} == {
        ("src/app.py", None, "modified"),
        ("src/new.py", None, "added"),
        ("legacy.py", None, "deleted"),
        ("docs/guide.md", "docs/old.md", "renamed"),
        ("assets/logo.png", None, "modified"),
    }
    app, new, gone = diff.file("src/app.py"), diff.file("src/new.py"), diff.file("legacy.py")
    assert app is not None and new is not None and gone is not None
    assert app.patch.startswith("@@ -2,7 +2,8 @@\n line 2\n")
    assert "-line 5\n+line 5a\n+line 5b\n" in app.patch
    assert "@@ -12,7 +13,6 @@\n" in app.patch
    assert new.patch == "@@ -0,0 +1,2 @@\n+def new():\n+    return 1\n"
    assert gone.patch == "@@ -1 +0,0 @@\n-old = True\n"
    assert diff.file("docs/guide.md").patch == ""  # a pure rename has no hunks
    assert diff.file("assets/logo.png").patch == ""  # binary
    assert {4, 5, 6, 7} <= commentable_lines(app) and 11 not in commentable_lines(app)


def test_publish_puts_threads_at_their_lines_and_one_summary(ado) -> None:
    emulator, scm, pr = ado
    draft = ReviewDraft(
        "Two findings.",
        (
            ReviewComment("src/app.py", 5, "5a is a typo"),
            ReviewComment("src/new.py", 2, "return a constant?"),
        ),
    )

    posted = scm.reviews.publish_review(TENANT, pr, draft)

    assert (posted.created, posted.updated, posted.removed) == (2, 0, 0)
    inline = _inline(emulator, pr)
    assert set(inline) == {("src/app.py", 5), ("src/new.py", 2)}
    app = inline[("src/app.py", 5)]
    assert app["status"] == "active"
    assert app["threadContext"]["rightFileEnd"]["line"] == 5
    tracking = {
        e["item"]["path"]: e["changeTrackingId"]
        for e in emulator.changes(pr, emulator.iterations(pr)[-1])
    }
    assert app["pullRequestThreadContext"] == {
        "changeTrackingId": tracking["/src/app.py"],
        "iterationContext": {"firstComparingIteration": 1, "secondComparingIteration": 1},
    }
    assert app["comments"][0]["content"] == f"5a is a typo\n\n{REVIEW_MARKER}"
    summaries = [t for t in emulator.threads[int(pr)] if "threadContext" not in t]
    assert [(t["status"], t["comments"][0]["content"]) for t in summaries] == [
        ("closed", f"Two findings.\n\n{SUMMARY_MARKER}")
    ]
    assert posted.url.endswith(f"/pullrequest/{pr}?discussionId={summaries[0]['id']}")


def test_a_rerun_updates_removes_and_adds_without_duplicates_or_touching_people(ado) -> None:
    emulator, scm, pr = ado
    first = ReviewDraft(
        "First pass.",
        (
            ReviewComment("src/app.py", 5, "keep me"),
            ReviewComment("src/app.py", 6, "change me"),
            ReviewComment("src/app.py", 7, "remove me"),
            ReviewComment("src/new.py", 1, "answered, then stale"),
        ),
    )
    scm.reviews.publish_review(TENANT, pr, first)
    inline = _inline(emulator, pr)
    alice = emulator.add_person("alice@contoso.com")
    author = {"displayName": "Alice", "uniqueName": "alice@contoso.com", "id": alice["id"]}
    emulator.add_reply(inline[("src/new.py", 1)], author, "I disagree")
    context = inline[("src/new.py", 1)]["threadContext"]
    human = emulator.add_thread(
        int(pr), author, f"pasted {REVIEW_MARKER}", status="active", threadContext=context
    )
    emulator.add_thread(int(pr), author, f"fake summary {SUMMARY_MARKER}", status="active")
    second = ReviewDraft(
        "Second pass.",
        (
            ReviewComment("src/app.py", 5, "keep me"),
            ReviewComment("src/app.py", 6, "changed"),
            ReviewComment("src/new.py", 2, "new one"),
        ),
    )

    posted = scm.reviews.publish_review(TENANT, pr, second)
    again = scm.reviews.publish_review(TENANT, pr, second)

    assert (posted.created, posted.updated, posted.removed) == (1, 1, 2)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    inline = _inline(emulator, pr)
    bodies = {k: t["comments"][0]["content"].split("\n\n")[0] for k, t in inline.items()}
    assert bodies == {
        ("src/app.py", 5): "keep me",
        ("src/app.py", 6): "changed",
        ("src/new.py", 1): "answered, then stale",  # people replied: closed, not deleted
        ("src/new.py", 2): "new one",
    }
    assert inline[("src/new.py", 1)]["status"] == "closed"
    assert [c["content"] for c in inline[("src/new.py", 1)]["comments"]][1:] == ["I disagree"]
    removed = [
        t for t in emulator.threads[int(pr)] if t["comments"][0]["content"].startswith("remove me")
    ]
    assert [(t["status"], t["comments"][0]["isDeleted"]) for t in removed] == [("closed", True)]
    assert (
        human["comments"][0]["content"] == f"pasted {REVIEW_MARKER}" and human["status"] == "active"
    )
    summaries = [
        t["comments"][0]["content"]
        for t in emulator.threads[int(pr)]
        if SUMMARY_MARKER in t["comments"][0]["content"]
    ]
    assert summaries == [f"Second pass.\n\n{SUMMARY_MARKER}", f"fake summary {SUMMARY_MARKER}"]


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (404, {}, ScmNotFound),
        (401, {}, ScmAuthError),
        (429, {"Retry-After": "30"}, ScmRateLimited),
    ],
)
def test_failures_map_to_domain_errors(ado, status, headers, error) -> None:
    emulator, scm, pr = ado
    emulator.server.fail("GET", r"/iterations$", status, {"message": f"{status} x"}, headers)

    with pytest.raises(error) as raised:
        scm.reviews.pull_request_diff(TENANT, pr)

    if status == 429:
        assert raised.value.retry_after == 30
    assert len(emulator.server.calls("GET", r"/iterations$")) == 1  # never retried


def test_an_unknown_pull_request_is_not_found(ado) -> None:
    _, scm, _ = ado

    with pytest.raises(ScmNotFound):
        scm.reviews.publish_review(TENANT, "99", ReviewDraft("x", ()))


def test_an_oversized_file_has_no_hunks_to_comment_on(ado, secret_store) -> None:
    emulator, _, pr = ado
    small = _scm(emulator, secret_store, ReadLimits(max_file_bytes=100))

    diff = small.reviews.pull_request_diff(TENANT, pr)

    assert diff.file("src/app.py").patch == ""  # over 100 bytes
    assert diff.file("src/new.py").patch.startswith("@@ -0,0 +1,2 @@")


def test_another_tenant_is_refused_before_any_request(ado) -> None:
    emulator, scm, pr = ado
    emulator.server.clear()

    with pytest.raises(PermissionDenied):
        scm.reviews.publish_review("other", pr, ReviewDraft("x", ()))
    with pytest.raises(PermissionDenied):
        scm.reviews.pull_request_diff("other", pr)

    assert [r for r in emulator.server.requests if r.method != "OPTIONS"] == []


def test_a_publish_cut_short_by_a_rate_limit_converges_on_the_next_run(ado) -> None:
    emulator, scm, pr = ado
    first = ReviewDraft("First.", (ReviewComment("src/app.py", 7, "stale next time"),))
    scm.reviews.publish_review(TENANT, pr, first)
    draft = ReviewDraft("Summary.", (ReviewComment("src/app.py", 5, "one"),))
    emulator.server.fail("PATCH", r"/threads/\d+$", 429, {}, {"Retry-After": "7"})

    with pytest.raises(ScmRateLimited):  # closing the stale thread was refused
        scm.reviews.publish_review(TENANT, pr, draft)
    posted = scm.reviews.publish_review(TENANT, pr, draft)

    assert (posted.created, posted.updated, posted.removed) == (1, 0, 1)
    assert set(_inline(emulator, pr)) == {("src/app.py", 5)}
    [stale] = [t for t in emulator.threads[int(pr)] if "stale" in t["comments"][0]["content"]]
    assert (stale["status"], stale["comments"][0]["isDeleted"]) == ("closed", True)
    summaries = [
        t["comments"][0]["content"]
        for t in emulator.threads[int(pr)]
        if SUMMARY_MARKER in t["comments"][0]["content"]
    ]
    assert summaries == [f"Summary.\n\n{SUMMARY_MARKER}"]


def test_a_pull_request_without_an_iteration_yet_is_retryable(ado) -> None:
    emulator, scm, pr = ado
    emulator.server.fail("GET", r"/iterations$", 200, {"value": [], "count": 0})

    with pytest.raises(ScmUnavailable):
        scm.reviews.pull_request_diff(TENANT, pr)


def test_a_push_after_the_diff_was_read_leaves_threads_on_the_reviewed_iteration(ado) -> None:
    emulator, scm, pr = ado
    diff = scm.reviews.pull_request_diff(TENANT, pr)
    forge = emulator.forge  # two lines inserted on top: new line 5 is other code now
    moved = b"import os\nimport re\n" + FEATURE["src/app.py"]  # type: ignore[operator]
    forge.branches["feature"] = forge.commit_changes(
        forge.branches["feature"], {"src/app.py": moved}, "push"
    )
    draft = ReviewDraft("s", (ReviewComment("src/app.py", 5, "5a is a typo"),), reviewed=diff.shas)

    scm.reviews.publish_review(TENANT, pr, draft)

    thread = _inline(emulator, pr)[("src/app.py", 5)]
    iterations = thread["pullRequestThreadContext"]["iterationContext"]
    assert iterations["secondComparingIteration"] == 1
    assert [i["sourceRefCommit"]["commitId"] for i in emulator.iterations(pr)] == [
        diff.head_sha,
        forge.branches["feature"],
    ]


def test_a_reviewed_head_without_an_iteration_is_refused(ado) -> None:
    emulator, scm, pr = ado
    diff = scm.reviews.pull_request_diff(TENANT, pr)
    unknown = DiffShas(diff.base_sha, diff.start_sha, "f" * 40)
    draft = ReviewDraft("s", (ReviewComment("src/app.py", 5, "x"),), reviewed=unknown)

    with pytest.raises(ScmConflict) as refused:
        scm.reviews.publish_review(TENANT, pr, draft)

    assert refused.value.code == "pull-request-moved"
    assert emulator.threads.get(int(pr), []) == []


def test_a_rerun_keeps_what_a_person_resolved_resolved_and_says_so(ado) -> None:
    emulator, scm, pr = ado
    first = ReviewDraft(
        "First.",
        (
            ReviewComment("src/app.py", 5, "same"),
            ReviewComment("src/app.py", 6, "old words"),
            ReviewComment("src/app.py", 7, "open"),
        ),
    )
    scm.reviews.publish_review(TENANT, pr, first)
    _inline(emulator, pr)[("src/app.py", 5)]["status"] = "fixed"  # a reviewer resolves two
    _inline(emulator, pr)[("src/app.py", 6)]["status"] = "closed"
    second = ReviewDraft(
        "Second.",
        (
            ReviewComment("src/app.py", 5, "same"),
            ReviewComment("src/app.py", 6, "new words"),
            ReviewComment("src/app.py", 7, "open"),
        ),
    )
    emulator.server.clear()

    posted = scm.reviews.publish_review(TENANT, pr, second)

    assert (posted.created, posted.updated, posted.removed, posted.kept_resolved) == (0, 1, 0, 2)
    inline = _inline(emulator, pr)
    assert [inline[("src/app.py", n)]["status"] for n in (5, 6, 7)] == ["fixed", "closed", "active"]
    assert inline[("src/app.py", 6)]["comments"][0]["content"] == f"new words\n\n{REVIEW_MARKER}"
    assert not emulator.server.calls("PATCH", r"/threads/\d+$")  # no thread status changed
    summaries = [
        t["comments"][0]["content"]
        for t in emulator.threads[int(pr)]
        if SUMMARY_MARKER in t["comments"][0]["content"]
    ]
    assert summaries == [
        "Second.\n\nStill found, left resolved as they were resolved on this pull request before:"
        f" `src/app.py` line 5, `src/app.py` line 6.\n\n{SUMMARY_MARKER}"
    ]
