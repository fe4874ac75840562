"""The operators' Azure Monitor workbook: one page per tenant (or all), built from ``queries/``.

Panels: tasks and outcomes, lead time webhook -> pull request, approval wait, tokens and cost,
server errors, circuit-breaker trips. Each panel's KQL is a file in ``queries/`` that filters on
``tenant_filter``; the workbook binds it to its Tenant picker (``"*"`` means every tenant) and
its time range. The JSON is built here, deterministically, so a test can read every query.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import applicationinsights

from agent_infra import kql
from agent_infra.naming import Naming

TENANT_PARAMETER = "Tenant"
TIME_PARAMETER = "TimeRange"
_DAY_MS = 86_400_000
_COMPONENT = "microsoft.insights/components"


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    visualization: str


PANELS = (
    Panel("tasks", "Tasks and outcomes per day", "barchart"),
    Panel("lead_time", "Lead time, webhook to pull request (s)", "linechart"),
    Panel("approval_wait", "Approval wait (s)", "linechart"),
    Panel("tokens", "LLM tokens per day", "barchart"),
    Panel("cost", "LLM cost per day (USD)", "barchart"),
    Panel("errors", "Server errors per hour", "timechart"),
    Panel("breaker", "Circuit-breaker trips (hours open)", "table"),
)


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aica-workbook/{name}"))


def panel_query(panel: str) -> str:
    """A panel's KQL as the workbook holds it: ``{Tenant}`` is filled in by the workbook."""
    return f'let tenant_filter = "{{{TENANT_PARAMETER}}}";\n' + kql.query(f"workbook_{panel}")


def workbook_content(app_insights_id: str) -> dict[str, Any]:
    """The workbook's serialized data (``Notebook/1.0``)."""
    parameters = {
        "type": 9,
        "name": "parameters",
        "content": {
            "version": "KqlParameterItem/1.0",
            "parameters": [
                {
                    "id": _id(TIME_PARAMETER),
                    "version": "KqlParameterItem/1.0",
                    "name": TIME_PARAMETER,
                    "label": "Time range",
                    "type": 4,
                    "isRequired": True,
                    "value": {"durationMs": 7 * _DAY_MS},
                    "typeSettings": {
                        "selectableValues": [
                            {"durationMs": days * _DAY_MS} for days in (1, 7, 14, 30)
                        ]
                    },
                },
                {
                    "id": _id(TENANT_PARAMETER),
                    "version": "KqlParameterItem/1.0",
                    "name": TENANT_PARAMETER,
                    "label": "Tenant",
                    "type": 2,
                    "isRequired": True,
                    "query": kql.query("workbook_tenants"),
                    "value": "*",
                    "timeContextFromParameter": TIME_PARAMETER,
                    "queryType": 0,
                    "resourceType": _COMPONENT,
                },
            ],
        },
    }
    panels = [
        {
            "type": 3,
            "name": panel.name,
            "content": {
                "version": "KqlItem/1.0",
                "title": panel.title,
                "query": panel_query(panel.name),
                "size": 0,
                "timeContextFromParameter": TIME_PARAMETER,
                "queryType": 0,
                "resourceType": _COMPONENT,
                "visualization": panel.visualization,
            },
        }
        for panel in PANELS
    ]
    title = {
        "type": 1,
        "name": "title",
        "content": {"json": "## AI Code Agent: operations by tenant"},
    }
    return {
        "version": "Notebook/1.0",
        "items": [title, parameters, *panels],
        "fallbackResourceIds": [app_insights_id],
        "$schema": "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json",
    }


@dataclass(frozen=True)
class OperationsWorkbookArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    app_insights_id: pulumi.Input[str]
    tags: dict[str, str]


class OperationsWorkbook(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: OperationsWorkbookArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:OperationsWorkbook", name, None, opts)
        display_name = args.naming.regional("operations")
        self.workbook = applicationinsights.Workbook(
            f"{name}-workbook",
            # A workbook's resource name must be a GUID; derived from the name, so it is stable.
            resource_name_=str(uuid.uuid5(uuid.NAMESPACE_URL, f"aica/{display_name}")),
            display_name=display_name,
            category="workbook",
            kind="shared",
            source_id=args.app_insights_id,
            serialized_data=pulumi.Output.from_input(args.app_insights_id).apply(
                lambda insights_id: json.dumps(workbook_content(insights_id), sort_keys=True)
            ),
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"workbook_id": self.workbook.id})
