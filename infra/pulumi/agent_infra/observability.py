"""Log Analytics workspace, the workspace-based Application Insights component and the
operators' workbook over it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import applicationinsights, operationalinsights

from agent_infra.naming import Naming
from agent_infra.workbook import OperationsWorkbook, OperationsWorkbookArgs


@dataclass(frozen=True)
class ObservabilityArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    tags: dict[str, str]
    retention_days: int = 90


class Observability(pulumi.ComponentResource):
    """Where the app's OpenTelemetry traces, metrics and logs land. Local (key-based) ingestion
    is off: the Function App sends with its managed identity (Monitoring Metrics Publisher)."""

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:Observability", name, None, opts)
        self.workspace = operationalinsights.Workspace(
            f"{name}-workspace",
            workspace_name=args.naming.regional("log"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.retention_days,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.app_insights = applicationinsights.Component(
            f"{name}-appinsights",
            resource_name_=args.naming.regional("appi"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="web",
            application_type="web",
            workspace_resource_id=self.workspace.id,
            ingestion_mode="LogAnalytics",
            disable_local_auth=True,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.connection_string = self.app_insights.connection_string
        self.workbook = OperationsWorkbook(
            f"{name}-operations",
            OperationsWorkbookArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                naming=args.naming,
                app_insights_id=self.app_insights.id,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {"workspace_id": self.workspace.id, "app_insights_id": self.app_insights.id}
        )
