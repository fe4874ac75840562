"""``/agent review`` end to end on devhost against the Azure DevOps emulator: the tests of
``test_review_flow`` run with the Azure DevOps case (``reviewed_azure_devops``), through the real
azure-devops SDK adapter: threads at the expected lines, a re-run without duplicates, a human's
thread untouched, an outsider refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.patch_flow.reviewed_azure_devops import azure_devops_reviewed
from tests.e2e.patch_flow.reviewed_scms import Reviewed
from tests.e2e.patch_flow.test_review_flow import (
    test_a_commenter_who_cannot_push_is_refused_before_anything_is_read,
    test_review_comments_land_on_their_lines_and_a_rerun_updates_them,
)


@pytest.fixture
def reviewed(app, http) -> Iterator[Reviewed]:
    with azure_devops_reviewed(app, http) as scm:
        yield scm


__all__ = [
    "test_a_commenter_who_cannot_push_is_refused_before_anything_is_read",
    "test_review_comments_land_on_their_lines_and_a_rerun_updates_them",
]
