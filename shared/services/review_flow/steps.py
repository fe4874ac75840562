"""review_flow use cases: read the pull request, ask the model, publish an anchored review.

They run after the patch flow's own ``authorise`` and ``start_task`` (same trigger
authorisation, slots, plan and lineage) and before its ``finish_task``. Nothing is pushed and
no approval is asked: a review only writes comments, of the agent's own, on the pull request.
Each takes and returns JSON-able dicts (the activity payloads); permanent problems raise
non-retryable domain errors, which the activity edge turns into ``{"failed": ...}``.
Secrets in the diff and the context are redacted by the LLM hub, as for a fix.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.domain.errors import ScmConflict
from shared.domain.llm import ResponseFormat, estimate_tokens
from shared.domain.scm import FileContent
from shared.services.llm_hub.patch_prompts import render_files
from shared.services.patch_flow.context import rank_candidates, select_context
from shared.services.patch_flow.deps import PatchFlowDeps, kept_index
from shared.services.review_flow.anchors import anchor_review, commentable_map, parse_review
from shared.services.review_flow.prompt import render_diff

REVIEW_TEMPLATE = "review"
REVIEW_MAX_TOKENS = 4096
#: Share of the plan's context budget the diff may take; related code gets the rest.
DIFF_SHARE = 0.6
#: Characters per token of ``estimate_tokens``, to turn the diff's token share into characters.
CHARS_PER_TOKEN = 4


def gather_review(
    deps: PatchFlowDeps, task: dict[str, Any], plan: dict[str, Any]
) -> dict[str, Any]:
    """The diff (as the prompt shows it, and its commentable lines) plus related code at the
    pull request's head, chosen like a fix's context (the changed paths and the description
    are the query); lineage keeps the shas, the files shown and the context slices."""
    scm, tenant = deps.scm(task), task["tenant"]
    diff = scm.reviews.pull_request_diff(tenant, task["source_id"])
    budget = int(plan["context_budget_tokens"])
    diff_text, left_out = render_diff(diff, int(budget * DIFF_SHARE) * CHARS_PER_TOKEN)
    changed = [f.path for f in diff.files if f.status != "deleted"]
    query = "\n".join([diff.title, diff.description, task["instruction"], *changed])
    tree = scm.repository.list_tree(tenant, diff.head_sha)

    def read(path: str) -> FileContent:
        return scm.repository.read_file(tenant, diff.head_sha, path)

    kept = kept_index(deps, task, tree.commit_sha)
    files = select_context(
        rank_candidates(tree.entries, query),
        read,
        query,
        max(0, budget - estimate_tokens(len(diff_text))),
        index=kept.index if kept else None,
    )
    # a file the model was not shown takes no inline comment (and keeps the payload small)
    commentable = {p: n for p, n in commentable_map(diff).items() if p not in left_out}
    review: dict[str, Any] = {
        "base_sha": diff.base_sha,
        "head_sha": diff.head_sha,
        "start_sha": diff.start_sha,
        "diff_files": [f.path for f in diff.files],
        "diff_left_out": left_out,
    }
    lineage = {
        "code_review": review,
        "commit": diff.head_sha,
        "context_files": [f.lineage() for f in files],
        "index": kept.lineage() if kept else {"kind": "fresh", "commit": tree.commit_sha},
    }
    deps.record(task, "review.gathered", review, step="gathering-context", lineage=lineage)
    return {
        "head_sha": diff.head_sha,
        "title": diff.title,
        "description": diff.description,
        "diff": diff_text,
        "files": [{"path": f.path, "text": f.text} for f in files],
        "commentable": commentable,
    }


def generate_review(
    deps: PatchFlowDeps, task: dict[str, Any], plan: dict[str, Any], gathered: dict[str, Any]
) -> dict[str, Any]:
    """The model's review (its text, unparsed) and the call's lineage summary."""
    result = deps.llm.complete(
        task["tenant"],
        task["id"],
        REVIEW_TEMPLATE,
        {
            "title": gathered["title"],
            "description": gathered["description"],
            "diff": gathered["diff"],
            "files": render_files(gathered["files"]),
        },
        plan["llm_routes"],
        max_tokens=REVIEW_MAX_TOKENS,
        response_format=ResponseFormat.JSON,
    )
    summary = result.to_dict()
    answer = summary.pop("text")
    # in lineage now, not only on publishing: a review refused later still reports its provider
    deps.record(
        task, "review.generated", summary, step="reviewing", lineage={"review_llm": summary}
    )
    return {"answer": answer, "llm": summary}


def publish_review(
    deps: PatchFlowDeps, task: dict[str, Any], gathered: dict[str, Any], proposal: dict[str, Any]
) -> dict[str, Any]:
    """Anchor the model's comments to commentable lines (the rest go into the summary, and
    lineage says which and why), then publish: a re-run updates the earlier review."""
    anchored = anchor_review(parse_review(proposal["answer"]), gathered["commentable"])
    reviews = deps.scm(task).reviews
    # Lines are numbered in the diff that was read: after a push they may mean other code.
    # A head that moved since is refused here; a push after this check cannot misplace them
    # either, as the draft pins them to this diff, whose head is the reviewed one.
    current = reviews.pull_request_diff(task["tenant"], task["source_id"])
    if current.head_sha != gathered["head_sha"]:
        raise ScmConflict(
            f"the pull request changed while it was reviewed (head {gathered['head_sha'][:12]}"
            f" is now {current.head_sha[:12]}); nothing was posted: ask for the review again",
            code="pull-request-moved",
        )
    draft = replace(anchored.draft, reviewed=current.shas)
    posted = reviews.publish_review(task["tenant"], task["source_id"], draft)
    counts = {
        "created": posted.created,
        "updated": posted.updated,
        "removed": posted.removed,
        "kept_resolved": posted.kept_resolved,
    }
    published = {"url": posted.url, **counts, **anchored.lineage()}
    deps.record(
        task,
        "review.published",
        {"url": posted.url, **counts, "moved_to_summary": len(anchored.moved)},
        step="publishing-review",
        lineage={"code_review_published": published, "review_llm": proposal["llm"]},
    )
    return {"url": posted.url, **counts, "inline": len(anchored.draft.comments)}
