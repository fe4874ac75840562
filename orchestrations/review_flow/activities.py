"""review_flow activities: one JSON dict in, the use case from ``shared.services.review_flow``,
one JSON dict out; the patch flow's activity edge (span, error mapping, logging) wraps each."""

from __future__ import annotations

from typing import Any

from orchestrations.patch_flow.activities import _edge
from orchestrations.review_flow import bp

Payload = dict[str, Any]


@bp.activity_trigger(input_name="payload")
def gather_review(payload: Payload) -> Payload:
    from shared.services.review_flow import steps

    return _edge(
        "gather_review", payload, lambda d: steps.gather_review(d, payload["task"], payload["plan"])
    )


@bp.activity_trigger(input_name="payload")
def generate_review(payload: Payload) -> Payload:
    from shared.services.review_flow import steps

    return _edge(
        "generate_review",
        payload,
        lambda d: steps.generate_review(d, payload["task"], payload["plan"], payload["gathered"]),
    )


@bp.activity_trigger(input_name="payload")
def publish_review(payload: Payload) -> Payload:
    from shared.services.review_flow import steps

    return _edge(
        "publish_review",
        payload,
        lambda d: steps.publish_review(
            d, payload["task"], payload["gathered"], payload["proposal"]
        ),
    )
