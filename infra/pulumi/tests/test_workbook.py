"""Operators get one workbook over Application Insights with a view per tenant."""

from __future__ import annotations

import json
import re
import uuid

from tests.harness import Deployment, run_program, stack_config

WORKBOOK = "azure-native:applicationinsights:Workbook"
# The signals the app emits (issue: observability) that the views read, by semantic-convention
# name where one exists.
METRICS = {
    "agent.tasks",
    "agent.task.duration",
    "agent.approval.wait",
    "gen_ai.client.token.usage",
    "agent.llm.cost",
    "agent.llm.circuit.open",
}


def _content(deployment: Deployment) -> dict:
    return json.loads(deployment.one(WORKBOOK).inputs["serializedData"])


def test_the_workbook_is_a_shared_workbook_on_application_insights(dev: Deployment):
    workbook = dev.one(WORKBOOK)
    insights = dev.one("azure-native:applicationinsights:Component")
    assert workbook.inputs["sourceId"] == insights.id
    assert (workbook.inputs["kind"], workbook.inputs["category"]) == ("shared", "workbook")
    assert uuid.UUID(workbook.inputs["resourceName"])  # Azure requires a GUID name
    assert _content(dev)["fallbackResourceIds"] == [insights.id]


def test_the_workbook_name_is_stable_across_runs(dev: Deployment):
    again = run_program(stack_config("dev"), stack="dev")
    assert again.one(WORKBOOK).inputs["resourceName"] == dev.one(WORKBOOK).inputs["resourceName"]


def test_every_panel_is_filtered_by_the_tenant_picker_and_time_range(dev: Deployment):
    content = _content(dev)
    (parameters,) = [item for item in content["items"] if item["type"] == 9]
    picker = {p["name"]: p for p in parameters["content"]["parameters"]}
    assert picker["Tenant"]["value"] == "*" and picker["Tenant"]["isRequired"] is True
    assert picker["TimeRange"]["type"] == 4
    panels = {item["name"]: item["content"] for item in content["items"] if item["type"] == 3}
    assert set(panels) == {
        "tasks", "lead_time", "approval_wait", "tokens", "cost", "errors", "breaker",
    }  # fmt: skip
    for panel in panels.values():
        assert panel["query"].startswith('let tenant_filter = "{Tenant}";\n')
        assert re.search(r"tenant == tenant_filter", panel["query"])
        assert panel["timeContextFromParameter"] == "TimeRange"


def test_the_views_read_the_metrics_the_app_emits(dev: Deployment):
    queries = [item["content"]["query"] for item in _content(dev)["items"] if item["type"] == 3]
    named = {m for q in queries for m in re.findall(r'name == "([a-z_.]+)"', q)}
    assert named == METRICS
