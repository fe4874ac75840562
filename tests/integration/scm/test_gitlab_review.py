"""GitlabReviews with the real python-gitlab against the local GitLab-shaped REST server: the
merge request's diff, discussions at positions, and re-runs that converge without duplicates."""

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
from tests.integration.scm.forge import Forge
from tests.integration.scm.gitlab_server import GitlabEmulator

TENANT = "acme"
TOKEN = f"glpat-{secrets.token_hex(10)}"  # made per run
APP = "".join(f"line {i}\n" for i in range(1, 21)).encode()
FILES = {
    "src/app.py": APP,
    "legacy.py": b"old = True\n",
    "docs/old.md": b"# Guide\n\nRead me.\n",
    "README.md": b"# demo\n",
}
#: line 5 replaced by two lines, line 15 removed: new 5-6 added, 4 and 7 context (old 4, 6).
FEATURE = {
    "src/app.py": APP.replace(b"line 5\n", b"line 5a\nline 5b\n").replace(b"line 15\n", b""),
    "src/new.py": b"def new():\n    return 1\n",
    "legacy.py": None,
    "docs/old.md": None,
    "docs/guide.md": b"# Guide\n\nRead me.\n",
}


def _scm(emulator: GitlabEmulator, secret_store: LocalSecretStore, limits: ReadLimits) -> Scm:
    connection = ScmConnection(TENANT, Provider.GITLAB, "group/demo", emulator.url, "gitlab-token")
    return scm_for(connection, secret_store, limits=limits, timeout_s=5)


@pytest.fixture
def gitlab(secret_store) -> Iterator[tuple[GitlabEmulator, Scm, str]]:
    forge = Forge(FILES)
    forge.branches["feature"] = forge.commit_changes(forge.branches["main"], FEATURE, "work")
    emulator = GitlabEmulator("group/demo", forge, TOKEN)
    secret_store.set(TENANT, "gitlab-token", TOKEN)
    with emulator.server.running():
        scm = _scm(emulator, secret_store, ReadLimits())
        mr = scm.pull_requests.open_pull_request(
            TENANT, PullRequestDraft("feature", "main", "Feature", "Adds new()")
        )
        yield emulator, scm, str(mr.number)


def _positions(emulator: GitlabEmulator, iid: str) -> dict[tuple[str, int], dict[str, Any]]:
    """The agent's positioned notes by (path, new line)."""
    return {
        (n["position"]["new_path"], n["position"]["new_line"]): n
        for n in emulator.notes[("merge_requests", int(iid))]
        if "position" in n and n["author"]["username"] == "agent-bot"
    }


def test_the_diff_lists_added_modified_deleted_and_renamed_files(gitlab) -> None:
    emulator, scm, iid = gitlab

    diff = scm.reviews.pull_request_diff(TENANT, iid)

    version = emulator.versions(iid)[0]
    assert (diff.number, diff.title, diff.description) == (iid, "Feature", "Adds new()")
    assert (diff.base_sha, diff.start_sha, diff.head_sha) == (
        version["base_commit_sha"],
        version["start_commit_sha"],
        version["head_commit_sha"],
    )
    assert {(f.path, f.old_path, f.status) for f in diff.files} == {
        ("src/app.py", None, "modified"),
        ("src/new.py", None, "added"),
        ("legacy.py", None, "deleted"),
        ("docs/guide.md", "docs/old.md", "renamed"),
    }
    app = diff.file("src/app.py")
    assert app is not None and app.patch.startswith("@@ -2,7 +2,8 @@\n line 2\n")
    assert "-line 5\n+line 5a\n+line 5b\n" in app.patch
    assert {5, 6, 4, 7} <= commentable_lines(app) and 11 not in commentable_lines(
        app
    )  # between hunks


def test_publish_puts_comments_at_their_lines_and_one_summary(gitlab) -> None:
    emulator, scm, iid = gitlab
    draft = ReviewDraft(
        "Two findings.",
        (
            ReviewComment("src/app.py", 5, "5a is a typo"),
            ReviewComment("src/app.py", 7, "context line"),
            ReviewComment("src/new.py", 2, "return a constant?"),
        ),
    )

    posted = scm.reviews.publish_review(TENANT, iid, draft)

    assert (posted.created, posted.updated, posted.removed) == (3, 0, 0)
    positions = _positions(emulator, iid)
    assert set(positions) == {("src/app.py", 5), ("src/app.py", 7), ("src/new.py", 2)}
    version = emulator.versions(iid)[0]
    added = positions[("src/app.py", 5)]["position"]
    assert added["old_line"] is None and added["head_sha"] == version["head_commit_sha"]
    assert positions[("src/app.py", 7)]["position"]["old_line"] == 6  # unchanged: both lines
    assert positions[("src/app.py", 5)]["body"] == f"5a is a typo\n\n{REVIEW_MARKER}"
    summaries = [
        n for n in emulator.notes[("merge_requests", int(iid))] if SUMMARY_MARKER in n["body"]
    ]
    assert [n["body"] for n in summaries] == [f"Two findings.\n\n{SUMMARY_MARKER}"]
    assert posted.url.endswith(f"/merge_requests/{iid}#note_{summaries[0]['id']}")


def test_a_rerun_updates_removes_and_adds_without_duplicates_or_touching_people(
    gitlab,
) -> None:
    emulator, scm, iid = gitlab
    first = ReviewDraft(
        "First pass.",
        (
            ReviewComment("src/app.py", 5, "keep me"),
            ReviewComment("src/app.py", 6, "change me"),
            ReviewComment("src/app.py", 7, "remove me"),
            ReviewComment("src/new.py", 1, "answered, then stale"),
        ),
    )
    scm.reviews.publish_review(TENANT, iid, first)
    positions = _positions(emulator, iid)
    answered = positions[("src/new.py", 1)]
    alice = {"id": 2001, "username": "alice", "name": "Alice", "state": "active"}
    emulator.add_discussion_note(
        int(iid), alice, "I disagree", discussion_id=answered["discussion_id"]
    )
    human = emulator.add_discussion_note(
        int(iid), alice, f"pasted {REVIEW_MARKER}", position=answered["position"]
    )
    emulator.add_note("merge_requests", int(iid), "bob", f"fake summary {SUMMARY_MARKER}")
    second = ReviewDraft(
        "Second pass.",
        (
            ReviewComment("src/app.py", 5, "keep me"),
            ReviewComment("src/app.py", 6, "changed"),
            ReviewComment("src/new.py", 2, "new one"),
        ),
    )
    emulator.server.clear()

    posted = scm.reviews.publish_review(TENANT, iid, second)
    again = scm.reviews.publish_review(TENANT, iid, second)

    assert (posted.created, posted.updated, posted.removed) == (1, 1, 2)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    notes = emulator.notes[("merge_requests", int(iid))]
    bodies = {k: n["body"].split("\n\n")[0] for k, n in _positions(emulator, iid).items()}
    assert bodies == {
        ("src/app.py", 5): "keep me",
        ("src/app.py", 6): "changed",
        ("src/new.py", 1): "answered, then stale",  # people replied: resolved, not deleted
        ("src/new.py", 2): "new one",
    }
    assert _positions(emulator, iid)[("src/new.py", 1)]["resolved"] is True
    assert human in notes and human["body"] == f"pasted {REVIEW_MARKER}"
    assert [n["body"] for n in notes if n["author"]["username"] != "agent-bot"] == [
        "I disagree",
        f"pasted {REVIEW_MARKER}",
        f"fake summary {SUMMARY_MARKER}",
    ]
    assert [n["body"] for n in notes if n["body"].startswith("Second pass.")] == [
        f"Second pass.\n\n{SUMMARY_MARKER}"
    ]
    assert not emulator.server.calls(None, rf"/notes/{human['id']}$")


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (404, {}, ScmNotFound),
        (401, {}, ScmAuthError),
        (429, {"Retry-After": "30"}, ScmRateLimited),
    ],
)
def test_failures_map_to_domain_errors(gitlab, status, headers, error) -> None:
    emulator, scm, iid = gitlab
    emulator.server.fail("GET", r"/versions$", status, {"message": f"{status} x"}, headers)

    with pytest.raises(error) as raised:
        scm.reviews.pull_request_diff(TENANT, iid)

    if status == 429:
        assert raised.value.retry_after == 30
    assert len(emulator.server.calls("GET", r"/versions$")) == 1  # never retried


def test_an_unknown_merge_request_is_not_found(gitlab) -> None:
    _, scm, _ = gitlab

    with pytest.raises(ScmNotFound):
        scm.reviews.publish_review(TENANT, "99", ReviewDraft("x", ()))


def test_an_oversized_file_has_no_hunks_to_comment_on(gitlab, secret_store) -> None:
    emulator, _, iid = gitlab
    small = _scm(emulator, secret_store, ReadLimits(max_file_bytes=100))

    diff = small.reviews.pull_request_diff(TENANT, iid)

    assert diff.file("src/app.py").patch == ""  # over 100 bytes
    assert diff.file("src/new.py").patch.startswith("@@ -0,0 +1,2 @@")


def test_another_tenant_is_refused_before_any_request(gitlab) -> None:
    emulator, scm, iid = gitlab
    emulator.server.clear()

    with pytest.raises(PermissionDenied):
        scm.reviews.publish_review("other", iid, ReviewDraft("x", ()))
    with pytest.raises(PermissionDenied):
        scm.reviews.pull_request_diff("other", iid)

    assert [r for r in emulator.server.requests if r.method != "OPTIONS"] == []


def test_a_publish_cut_short_by_a_rate_limit_converges_on_the_next_run(gitlab) -> None:
    emulator, scm, iid = gitlab
    draft = ReviewDraft("Summary.", (ReviewComment("src/app.py", 5, "one"),))
    emulator.server.fail("POST", r"/merge_requests/\d+/notes$", 429, {}, {"Retry-After": "7"})

    with pytest.raises(ScmRateLimited):
        scm.reviews.publish_review(TENANT, iid, draft)
    posted = scm.reviews.publish_review(TENANT, iid, draft)

    assert (posted.created, posted.updated, posted.removed) == (0, 0, 0)
    assert set(_positions(emulator, iid)) == {("src/app.py", 5)}
    notes = emulator.notes[("merge_requests", int(iid))]
    assert [n["body"] for n in notes if SUMMARY_MARKER in n["body"]] == [
        f"Summary.\n\n{SUMMARY_MARKER}"
    ]


def test_a_merge_request_without_a_diff_version_yet_is_retryable(gitlab) -> None:
    emulator, scm, iid = gitlab
    emulator.server.fail("GET", r"/versions$", 200, [])  # GitLab has not computed it yet

    with pytest.raises(ScmUnavailable):
        scm.reviews.pull_request_diff(TENANT, iid)


def test_a_push_after_the_diff_was_read_leaves_comments_on_the_reviewed_version(gitlab) -> None:
    emulator, scm, iid = gitlab
    diff = scm.reviews.pull_request_diff(TENANT, iid)
    forge = emulator.forge  # two lines inserted on top: new line 5 is other code now
    moved = b"import os\nimport re\n" + FEATURE["src/app.py"]  # type: ignore[operator]
    forge.branches["feature"] = forge.commit_changes(
        forge.branches["feature"], {"src/app.py": moved}, "push"
    )
    draft = ReviewDraft("s", (ReviewComment("src/app.py", 5, "5a is a typo"),), reviewed=diff.shas)

    scm.reviews.publish_review(TENANT, iid, draft)

    position = _positions(emulator, iid)[("src/app.py", 5)]["position"]
    assert (position["base_sha"], position["start_sha"], position["head_sha"]) == (
        diff.base_sha,
        diff.start_sha,
        diff.head_sha,
    )
    assert (
        emulator.versions(iid)[0]["head_commit_sha"] == forge.branches["feature"] != diff.head_sha
    )


def test_a_reviewed_version_the_merge_request_does_not_have_is_refused(gitlab) -> None:
    emulator, scm, iid = gitlab
    diff = scm.reviews.pull_request_diff(TENANT, iid)
    unknown = DiffShas(diff.base_sha, diff.start_sha, "f" * 40)
    draft = ReviewDraft("s", (ReviewComment("src/app.py", 5, "x"),), reviewed=unknown)

    with pytest.raises(ScmConflict) as refused:
        scm.reviews.publish_review(TENANT, iid, draft)

    assert refused.value.code == "pull-request-moved"
    assert emulator.notes.get(("merge_requests", int(iid)), []) == []


def test_hunks_gitlab_withholds_are_rebuilt_from_the_blobs_within_the_limits(
    gitlab, secret_store
) -> None:
    emulator, scm, iid = gitlab
    whole = {f.path: f.patch for f in scm.reviews.pull_request_diff(TENANT, iid).files}
    emulator.diff_patch_limit = 100  # src/app.py's diff is now too large, src/new.py's collapsed
    shown = {d["new_path"]: d for d in emulator._version_diffs(emulator.versions(iid)[0])}
    assert shown["src/app.py"]["too_large"] and shown["src/new.py"]["collapsed"]
    assert shown["src/app.py"]["diff"] == shown["src/new.py"]["diff"] == ""

    diff = scm.reviews.pull_request_diff(TENANT, iid)

    assert {f.path: f.patch.rstrip("\n") for f in diff.files} == whole  # GitLab's: no last \n
    assert emulator.server.calls(None, r"/repository/files/src/app\.py")
    draft = ReviewDraft("s", (ReviewComment("src/app.py", 7, "context"),), reviewed=diff.shas)
    scm.reviews.publish_review(TENANT, iid, draft)
    assert _positions(emulator, iid)[("src/app.py", 7)]["position"]["old_line"] == 6
    small = _scm(emulator, secret_store, ReadLimits(max_file_bytes=100))
    limited = small.reviews.pull_request_diff(TENANT, iid)
    assert limited.file("src/app.py").patch == ""  # its blobs are over 100 bytes: not read
    assert limited.file("src/new.py").patch.rstrip("\n") == whole["src/new.py"]


def test_a_rerun_keeps_what_a_person_resolved_resolved_and_says_so(gitlab) -> None:
    emulator, scm, iid = gitlab
    first = ReviewDraft(
        "First.",
        (
            ReviewComment("src/app.py", 5, "same"),
            ReviewComment("src/app.py", 6, "old words"),
            ReviewComment("src/app.py", 7, "open"),
        ),
    )
    scm.reviews.publish_review(TENANT, iid, first)
    for line in (5, 6):  # a reviewer resolves two of the discussions
        discussion = _positions(emulator, iid)[("src/app.py", line)]["discussion_id"]
        for note in emulator.notes[("merge_requests", int(iid))]:
            if note.get("discussion_id") == discussion:
                note["resolved"] = True
    second = ReviewDraft(
        "Second.",
        (
            ReviewComment("src/app.py", 5, "same"),
            ReviewComment("src/app.py", 6, "new words"),
            ReviewComment("src/app.py", 7, "open"),
        ),
    )
    emulator.server.clear()

    posted = scm.reviews.publish_review(TENANT, iid, second)

    assert (posted.created, posted.updated, posted.removed, posted.kept_resolved) == (0, 1, 0, 2)
    positions = _positions(emulator, iid)
    assert [positions[("src/app.py", n)]["resolved"] for n in (5, 6, 7)] == [True, True, False]
    assert positions[("src/app.py", 6)]["body"] == f"new words\n\n{REVIEW_MARKER}"
    assert not emulator.server.calls("PUT", r"/discussions/[0-9a-f]+$")  # nothing re-opened
    [summary] = [
        n["body"]
        for n in emulator.notes[("merge_requests", int(iid))]
        if SUMMARY_MARKER in n["body"]
    ]
    assert summary == (
        "Second.\n\nStill found, left resolved as they were resolved on this pull request before:"
        f" `src/app.py` line 5, `src/app.py` line 6.\n\n{SUMMARY_MARKER}"
    )
