"""The seed's SLOs exist as scheduled query alerts that reach people."""

from __future__ import annotations

import re

from tests.harness import Deployment

RULE = "azure-native:monitor:ScheduledQueryRule"
# rule -> (operator that fires, threshold, window, severity). Availability 99.9 % and error rate
# < 0.1 % alert on their budget's burn rate (14.4x over 1 h and 5 min pages; 6x over 6 h and
# 30 min is a lower severity); P95 < 5 s on 15 min windows.
SLOS = {
    "slo-availability-fast-burn-aica-dev": ("GreaterThan", 14.4, "PT1H", 1),
    "slo-availability-slow-burn-aica-dev": ("GreaterThan", 6.0, "PT6H", 2),
    "slo-error-fast-burn-aica-dev": ("GreaterThan", 14.4, "PT1H", 1),
    "slo-error-slow-burn-aica-dev": ("GreaterThan", 6.0, "PT6H", 2),
    "slo-latency-p95-aica-dev": ("GreaterThan", 5000.0, "PT15M", 2),
}


def test_each_slo_has_an_alert_rule_routed_to_the_action_group(dev: Deployment):
    rules = {r.inputs["ruleName"]: r for r in dev.of_type(RULE)}
    assert set(rules) == set(SLOS)
    group = dev.one("azure-native:monitor:ActionGroup")
    insights = dev.one("azure-native:applicationinsights:Component")
    for name, (operator, threshold, window, severity) in SLOS.items():
        rule = rules[name]
        assert rule.inputs["kind"] == "LogAlert" and rule.inputs["enabled"] is True
        assert rule.inputs["scopes"] == [insights.id]
        assert rule.inputs["actions"]["actionGroups"] == [group.id]
        assert (rule.inputs["windowSize"], rule.inputs["severity"]) == (window, severity)
        (condition,) = rule.inputs["criteria"]["allOf"]
        assert (condition["operator"], condition["threshold"]) == (operator, threshold)
        # The rule aggregates the very column the query computes.
        assert re.search(rf"\b{condition['metricMeasureColumn']} =", condition["query"])
    emails = [r["emailAddress"] for r in group.inputs["emailReceivers"]]
    assert emails == ["platform-oncall@example.com"]


def test_burn_rate_rules_measure_both_windows_against_the_slo_budget(dev: Deployment):
    for name, target, long_window, short_window in (
        ("slo-availability-fast-burn", 0.999, "1h", "5m"),
        ("slo-availability-slow-burn", 0.999, "6h", "30m"),
        ("slo-error-fast-burn", 0.999, "1h", "5m"),
        ("slo-error-slow-burn", 0.999, "6h", "30m"),
    ):
        query = dev.one(RULE, name).inputs["criteria"]["allOf"][0]["query"]
        assert f"let slo_target = real({target});" in query
        assert f"let long_window = {long_window};" in query
        assert f"let short_window = {short_window};" in query
        assert "min_of(" in query and "/ (1.0 - slo_target)" in query


def test_availability_is_measured_by_an_external_probe_of_the_health_endpoint(dev: Deployment):
    probe = dev.one("azure-native:applicationinsights:WebTest")
    app = dev.one("azure-native:web:WebApp")
    insights = dev.one("azure-native:applicationinsights:Component")
    assert (
        probe.inputs["request"]["requestUrl"]
        == f"https://{app.outputs['defaultHostName']}/api/health"
    )
    assert probe.inputs["tags"][f"hidden-link:{insights.id}"] == "Resource"
    assert len(probe.inputs["locations"]) >= 5
    for burn in ("fast", "slow"):
        query = dev.one(RULE, f"slo-availability-{burn}-burn").inputs["criteria"]["allOf"][0]
        assert f'let probe_name = "{probe.inputs["webTestName"]}";' in query["query"]
        assert "name == probe_name" in query["query"]
