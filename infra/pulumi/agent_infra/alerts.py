"""The seed's SLOs as scheduled query alerts on Application Insights, with one action group.

- availability >= 99.9 %: an external probe of the health endpoint (standard availability test,
  five locations, every 5 min);
- error rate < 0.1 %: the share of requests answered with a server error (5xx);
- latency P95 < 5 s over HTTP requests (webhooks, approvals, API), 15 min windows.

Availability and errors alert on the burn rate of their error budget over two windows at once
(the multiwindow, multi-burn-rate alerts of Google's SRE workbook, for a 30-day budget): a fast
burn (2 % of the budget in 1 h, confirmed over 5 min) pages, a slow burn (5 % in 6 h, confirmed
over 30 min) is a lower-severity alert. The KQL lives in ``queries/`` (see ``agent_infra.kql``).
Requests are excluded from sampling in host.json, so the request-based SLIs are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import applicationinsights, monitor

from agent_infra import kql
from agent_infra.naming import Naming

AVAILABILITY_TARGET_PERCENT = 99.9
LATENCY_P95_TARGET_MS = 5000.0
ERROR_RATE_TARGET_PERCENT = 0.1
PROBE_LOCATIONS = (
    "us-va-ash-azr", "us-ca-sjc-azr", "emea-nl-ams-azr", "emea-gb-db3-azr", "apac-sg-sin-azr",
)  # fmt: skip


@dataclass(frozen=True)
class BurnWindow:
    name: str
    long: kql.Timespan
    long_iso: str  # the rule's window: the same span as ``long``
    short: kql.Timespan
    factor: float  # fires when both windows burn the budget faster than this
    severity: int
    frequency: str


BURN_WINDOWS = (
    BurnWindow("fast", kql.Timespan("1h"), "PT1H", kql.Timespan("5m"), 14.4, 1, "PT5M"),
    BurnWindow("slow", kql.Timespan("6h"), "PT6H", kql.Timespan("30m"), 6.0, 2, "PT15M"),
)


@dataclass(frozen=True)
class Slo:
    key: str
    description: str
    query: str
    measure: str
    operator: str  # fires when `measure <operator> threshold`
    threshold: float
    window: str
    frequency: str
    severity: int


def platform_slos(probe_name: str, health_path: str) -> tuple[Slo, ...]:
    burn_rates = [
        Slo(
            key=f"{key}-{window.name}-burn",
            description=(
                f"{title} budget burning {window.factor}x too fast "
                f"({window.long.literal} and {window.short.literal} windows)"
            ),
            query=kql.query(
                f"slo_{key}_burn",
                **extra,
                slo_target=target,
                long_window=window.long,
                short_window=window.short,
            ),
            measure="burn_rate",
            operator="GreaterThan",
            threshold=window.factor,
            window=window.long_iso,
            frequency=window.frequency,
            severity=window.severity,
        )
        for key, title, target, extra in (
            (
                "availability",
                f"Availability ({AVAILABILITY_TARGET_PERCENT} %)",
                AVAILABILITY_TARGET_PERCENT / 100,
                {"probe_name": probe_name},
            ),
            (
                "error",
                f"Error rate (< {ERROR_RATE_TARGET_PERCENT} %)",
                1 - ERROR_RATE_TARGET_PERCENT / 100,
                {},
            ),
        )
        for window in BURN_WINDOWS
    ]
    latency = Slo(
        key="latency-p95",
        description=f"P95 request duration above {LATENCY_P95_TARGET_MS:.0f} ms (15 min)",
        query=kql.query("slo_latency_p95", health_path=health_path),
        measure="p95_ms",
        operator="GreaterThan",
        threshold=LATENCY_P95_TARGET_MS,
        window="PT15M",
        frequency="PT5M",
        severity=2,
    )
    return (*burn_rates, latency)


@dataclass(frozen=True)
class SloAlertsArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    app_insights_id: pulumi.Input[str]
    app_host_name: pulumi.Input[str]
    health_path: str
    emails: tuple[str, ...]
    tags: dict[str, str]


class SloAlerts(pulumi.ComponentResource):
    def __init__(self, name: str, args: SloAlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:SloAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.action_group = monitor.ActionGroup(
            f"{name}-action-group",
            action_group_name=args.naming.regional("ag-slo"),
            group_short_name="aica-slo",
            enabled=True,
            location="global",
            resource_group_name=args.resource_group_name,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=f"email-{index}", email_address=address, use_common_alert_schema=True
                )
                for index, address in enumerate(args.emails)
            ],
            tags=args.tags,
            opts=child,
        )
        probe_name = args.naming.regional("health")
        applicationinsights.WebTest(
            f"{name}-health-probe",
            web_test_name=probe_name,
            synthetic_monitor_id=probe_name,
            kind="standard",
            web_test_kind="standard",
            enabled=True,
            frequency=300,
            timeout=30,
            retry_enabled=True,
            locations=[
                applicationinsights.WebTestGeolocationArgs(location=loc) for loc in PROBE_LOCATIONS
            ],
            request=applicationinsights.WebTestPropertiesRequestArgs(
                request_url=pulumi.Output.concat("https://", args.app_host_name, args.health_path),
                http_verb="GET",
            ),
            validation_rules=applicationinsights.WebTestPropertiesValidationRulesArgs(
                expected_http_status_code=200, s_sl_check=True, s_sl_cert_remaining_lifetime_check=7
            ),
            resource_group_name=args.resource_group_name,
            location=args.location,
            # Azure links a test to its Application Insights component through this tag.
            tags=pulumi.Output.from_input(args.app_insights_id).apply(
                lambda ai_id: {**args.tags, f"hidden-link:{ai_id}": "Resource"}
            ),
            opts=child,
        )
        self.rules = {
            slo.key: monitor.ScheduledQueryRule(
                f"{name}-{slo.key}",
                rule_name=args.naming.regional(f"slo-{slo.key}"),
                resource_group_name=args.resource_group_name,
                location=args.location,
                kind="LogAlert",
                description=slo.description,
                severity=slo.severity,
                enabled=True,
                scopes=[args.app_insights_id],
                evaluation_frequency=slo.frequency,
                window_size=slo.window,
                criteria=monitor.ScheduledQueryRuleCriteriaArgs(
                    all_of=[
                        monitor.ConditionArgs(
                            query=slo.query,
                            time_aggregation="Average",
                            metric_measure_column=slo.measure,
                            operator=slo.operator,
                            threshold=slo.threshold,
                            failing_periods=monitor.ConditionFailingPeriodsArgs(
                                number_of_evaluation_periods=1, min_failing_periods_to_alert=1
                            ),
                        )
                    ]
                ),
                actions=monitor.ActionsArgs(action_groups=[self.action_group.id]),
                auto_mitigate=True,
                tags=args.tags,
                opts=child,
            )
            for slo in platform_slos(probe_name, args.health_path)
        }
        self.register_outputs({"action_group_id": self.action_group.id})
