"""Schemathesis against devhost, from the OpenAPI document the app serves.

For every operation, a bounded number of generated requests (valid and invalid, derandomised so
the run is the same each time) with a token holding every role the operation's scope allows:
no 5xx, the status code, content type and body match the document. And, for each generated
request of a protected operation: 401 without a token, 403 with a valid token lacking the role.
Bounded so that the whole run stays well under two minutes on the CI machine.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.admin_api.conftest import PLATFORM_DIRECTORY

EXAMPLES = int(os.environ.get("ADMIN_API_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
TENANT_ROLES = ["TenantAdmin", "Approver", "Auditor", "Viewer"]
#: schemathesis' own strategies draw from ``random`` (a Hypothesis deprecation, not ours).
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")


@pytest.fixture(scope="module")
def fuzzed(api, demo_tenant):
    """The served schema and the tenant the tenant-scoped operations are aimed at."""
    code, document = api.call("GET", "openapi.json")
    assert code == 200
    return schemathesis.openapi.from_dict(document), demo_tenant()


def _operations():
    from shared.api.operations import OPERATIONS

    return [op.id for op in OPERATIONS]


@pytest.mark.parametrize("operation_id", _operations())
def test_generated_requests_get_documented_answers_and_auth_holds(api, fuzzed, operation_id):
    schema, tenant = fuzzed
    operation = schema.find_operation_by_id(operation_id)
    spec = operation.definition.raw
    scope = spec.get("x-scope", "public")
    if scope == "platform":
        full = api.token(PLATFORM_DIRECTORY, "ops@platform.example", "PlatformAdmin")
        lacking = api.token(PLATFORM_DIRECTORY, "nobody@platform.example", "Viewer")
    else:
        full = api.token(tenant.directory_id, "fuzz@contoso.example", *TENANT_ROLES)
        # a Viewer lacks every role but Viewer; where Viewer suffices, a token with no role
        viewer_will_do = "Viewer" in spec.get("x-roles", ()) or spec.get("x-requester-may")
        grants = [] if viewer_will_do else ["Viewer"]
        lacking = api.token(tenant.directory_id, "nobody@contoso.example", *grants)
    base = api.base_url

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        if scope == "tenant" and "tenant" in (case.path_parameters or {}):
            case.path_parameters["tenant"] = tenant.slug
        if scope == "tenant" and "tenant" in (case.query or {}):
            case.query["tenant"] = tenant.slug  # a route without it (model cards)
        # generous: provisioning and dropping a tenant database is slow on a loaded machine
        response = case.call(
            base_url=base, headers={"Authorization": full["Authorization"]}, timeout=90
        )
        case.validate_response(response, checks=CHECKS)
        if scope == "public":
            return
        anonymous = case.call(base_url=base, headers={"Authorization": ""}, timeout=90)
        assert anonymous.status_code in (401, 413), anonymous.text
        if anonymous.status_code == 401:
            assert anonymous.json()["code"] == "unauthenticated"
        if scope == "user":  # any signed-in user may ask about themselves
            return
        refused = case.call(
            base_url=base, headers={"Authorization": lacking["Authorization"]}, timeout=90
        )
        assert refused.status_code in (403, 413), (refused.status_code, refused.text)

    run()
