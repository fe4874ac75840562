"""``/agent review`` end to end on devhost: a signed pull request comment becomes one review with
inline comments at the expected lines, on local_git and on each SCM's REST emulator (through the
real SDK adapters). The author then pushes a fix and asks again: the changed comment is
updated, the stale one removed, a new one added, nothing duplicated, a human's comment left
alone. A commenter who cannot push is refused before anything is read; audit and lineage hold.
A push while the model reviews is refused with nothing posted; a push after the flow's last
check still leaves every comment on the reviewed commit's lines.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from shared.adapters.scm.azure_devops.review import AdoReviews
from shared.adapters.scm.github.reviews import GithubReviews
from shared.adapters.scm.gitlab.review import GitlabReviews
from shared.adapters.scm.local_git.reviews import LocalGitReviews
from shared.adapters.store.postgres.tasks import get_task
from shared.domain.review import REVIEW_MARKER, SUMMARY_MARKER
from shared.services.review_flow import steps
from tests.e2e.patch_flow.reviewed_hosted import azure_devops, gitlab
from tests.e2e.patch_flow.reviewed_scms import (
    GUARDED,
    HUMAN,
    MEDIAN,
    OUTSIDER,
    ROUTES,
    STATS,
    TOKEN,
    Reviewed,
    github,
    local_git,
    stats_text,
)
from tools.demo.scenario import (
    REPOSITORY,
    REQUESTER,
    encode,
    issue_comment,
    prepare_tenant,
    signed_headers,
)

SCMS = {
    "local_git": local_git,
    "github": github,
    "gitlab": gitlab,
    "azure-devops": azure_devops,
}


@pytest.fixture(params=sorted(SCMS))
def reviewed(request, app, http) -> Iterator[Reviewed]:
    with SCMS[request.param](app, http) as scm:
        yield scm


def _run(http, scm: Reviewed) -> dict:
    code, accepted = scm.send("/agent review", REQUESTER)
    assert code == 202, accepted
    done = http.wait(accepted["id"], lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "completed", done["output"]
    return done["output"]


def test_review_comments_land_on_their_lines_and_a_rerun_updates_them(app, http, reviewed):
    scm = reviewed
    first = _run(http, scm)
    assert scm.agent_comments() == {
        (STATS, 19): "**medium**: median([]) raises IndexError; raise ValueError as average() "
        f"does.\n\n{REVIEW_MARKER}",
        (STATS, 22): "**medium**: For an even count this is the upper middle value, not the "
        f"mean of the two.\n\n{REVIEW_MARKER}",
    }
    [summary] = scm.summaries()
    assert summary.startswith("Adds median(); two problems.") and summary.endswith(SUMMARY_MARKER)
    assert "`calc/stats.py` line 9: **high**: average() skips the first value." in summary
    assert {k: first["review"][k] for k in ("created", "updated", "removed")} == {
        "created": 2,
        "updated": 0,
        "removed": 0,
    }

    scm.push(stats_text() + GUARDED)
    second = _run(http, scm)
    assert {k: second["review"][k] for k in ("created", "updated", "removed")} == {
        "created": 1,
        "updated": 1,
        "removed": 1,
    }
    assert scm.agent_comments() == {
        (STATS, 19): "**low**: Say in the docstring which middle value an even count gives."
        f"\n\n{REVIEW_MARKER}",
        (STATS, 24): "**medium**: For an even count this is the upper middle value, not the "
        f"mean of the two.\n\n{REVIEW_MARKER}",
    }
    [summary] = scm.summaries()
    assert summary.startswith("median() now rejects empty input")
    assert scm.human_comments() == [HUMAN]

    chain = app.audit.verify_chain(scm.slug)
    assert chain.ok
    with app.db.tenant_transaction(app.tenants.locate(scm.slug)) as tx:
        record = get_task(tx, second["task"])
        kinds = [
            r["kind"]
            for r in tx.conn.execute(
                "SELECT kind FROM audit_events WHERE task_id = %s ORDER BY seq", (second["task"],)
            ).fetchall()
        ]
    assert str(record.status) == "completed"
    for kind in ("trigger.authorised", "task.started", "review.gathered", "review.generated"):
        assert kind in kinds
    assert kinds[-2:] == ["review.published", "task.completed"]
    lineage = record.lineage
    assert lineage["trigger"]["source_kind"] in ("pull_request", "merge_request")
    assert lineage["code_review"]["diff_files"] == [STATS]
    assert lineage["context_files"][0]["path"] == STATS
    published = lineage["code_review_published"]
    assert published["inline"] == [{"path": STATS, "line": 19}, {"path": STATS, "line": 24}]
    assert published["moved_to_summary"] == [
        {"path": STATS, "line": 9, "reason": "line-not-in-diff"}
    ]
    assert lineage["review_llm"]["scripted"] is True
    # The model saw the diff with new-side line numbers, and the pasted token only redacted.
    prompt = "\n".join(
        m.content
        for m in app.llm.transcript(scm.slug, lineage["review_llm"]["lineage_id"]).messages
    )
    assert "   19 +def median(values):" in prompt
    assert TOKEN not in prompt and "# CI token <REDACTED:github-token:" in prompt


def test_a_push_while_publishing_leaves_the_comments_on_the_reviewed_commit(
    app, http, reviewed, monkeypatch
):
    """The head moves after the flow checked it and before the SCM anchors the comments: they
    still land on the lines of the commit that was reviewed, never on the pushed code."""
    scm = reviewed
    for writer in (GithubReviews, GitlabReviews, AdoReviews, LocalGitReviews):

        def publish(self, tenant, source_id, draft, _original=writer.publish_review):
            scm.push("# moved down a line\n" + stats_text() + MEDIAN)
            return _original(self, tenant, source_id, draft)

        monkeypatch.setattr(writer, "publish_review", publish)

    done = _run(http, scm)

    with app.db.tenant_transaction(app.tenants.locate(scm.slug)) as tx:
        reviewed_head = get_task(tx, done["task"]).lineage["code_review"]["head_sha"]
    assert set(scm.agent_comments()) == {(STATS, 19), (STATS, 22)}
    assert scm.anchors() == {reviewed_head}


def test_a_push_while_the_model_reviews_is_refused_and_posts_nothing(
    app, http, reviewed, monkeypatch
):
    scm = reviewed
    generate = steps.generate_review

    def generate_then_push(*args):
        proposal = generate(*args)
        scm.push(stats_text() + GUARDED)
        return proposal

    monkeypatch.setattr(steps, "generate_review", generate_then_push)
    code, accepted = scm.send("/agent review", REQUESTER)
    assert code == 202, accepted

    done = http.wait(accepted["id"], lambda s: s["runtimeStatus"] == "Completed")

    assert done["output"]["outcome"] == "failed"
    assert done["output"]["failure"]["code"] == "pull-request-moved"
    assert scm.agent_comments() == {}
    assert [s for s in scm.summaries() if SUMMARY_MARKER in s] == []
    with app.db.tenant_transaction(app.tenants.locate(scm.slug)) as tx:
        lineage = get_task(tx, accepted["id"]).lineage
    # the finish step's metrics read the provider from here (patch_flow.steps.llm_provider)
    assert lineage["review_llm"]["provider"] == "scripted"


def test_a_commenter_who_cannot_push_is_refused_before_anything_is_read(app, http, reviewed):
    scm = reviewed
    code, accepted = scm.send("/agent review", OUTSIDER)
    assert code == 202, accepted
    done = http.wait(accepted["id"], lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "not-authorised"
    assert done["output"]["refusal"]["reason"] == "no-write-access"
    assert scm.agent_comments() == {}
    assert [s for s in scm.summaries() if SUMMARY_MARKER in s] == []
    with app.db.tenant_transaction(app.tenants.locate(scm.slug)) as tx:
        kinds = [
            r["kind"]
            for r in tx.conn.execute(
                "SELECT kind FROM audit_events WHERE task_id = %s ORDER BY seq",
                (accepted["id"],),
            ).fetchall()
        ]
    assert "command.refused" in kinds and "review.gathered" not in kinds


def test_review_on_an_issue_is_refused_with_one_reply_and_starts_nothing(app, http) -> None:
    tenant = prepare_tenant(app, f"rv-{secrets.token_hex(3)}", llm_routes=ROUTES)
    raw = encode(issue_comment(REPOSITORY, tenant.issue_number, "/agent review", user=REQUESTER))
    code, answer = http.request(
        "POST",
        f"/api/webhooks/github/{tenant.slug}",
        raw,
        signed_headers(raw, tenant.webhook_secret),
    )
    assert code == 200 and answer["reason"] == "review-needs-pull-request", answer
    location = app.tenants.locate(tenant.slug)

    def replies() -> list[str]:
        with app.db.tenant_transaction(location) as tx:
            rows = tx.conn.execute(
                "SELECT body FROM scm_comments WHERE author = 'ai-code-agent'"
                " AND target_kind = 'issue'"
            ).fetchall()
        return [r["body"] for r in rows]

    deadline = time.monotonic() + 60
    while not replies() and time.monotonic() < deadline:
        time.sleep(0.1)
    [reply] = replies()
    assert "reviews pull and merge requests only" in reply and f"@{REQUESTER}" in reply
    with app.db.tenant_transaction(location) as tx:
        tasks = tx.conn.execute("SELECT id FROM tasks").fetchall()
        refused = tx.conn.execute(
            "SELECT data FROM audit_events WHERE kind = 'command.refused'"
        ).fetchall()
    assert tasks == []
    assert [r["data"]["reason"] for r in refused] == ["review-needs-pull-request"]
