"""The seed's SLOs exist as scheduled query alerts that reach people."""

from __future__ import annotations

import re

from tests.harness import Deployment

RULE = "azure-native:monitor:ScheduledQueryRule"
# SLO -> (operator that fires, threshold): availability 99.9 %, P95 < 5 s, error rate < 0.1 %.
SLOS = {
    "slo-availability-aica-dev": ("LessThan", 99.9),
    "slo-latency-p95-aica-dev": ("GreaterThan", 5000.0),
    "slo-error-rate-aica-dev": ("GreaterThan", 0.1),
}


def test_each_slo_has_an_alert_rule_routed_to_the_action_group(dev: Deployment):
    rules = {r.inputs["ruleName"]: r for r in dev.of_type(RULE)}
    assert set(rules) == set(SLOS)
    group = dev.one("azure-native:monitor:ActionGroup")
    insights = dev.one("azure-native:applicationinsights:Component")
    for name, (operator, threshold) in SLOS.items():
        rule = rules[name]
        assert rule.inputs["kind"] == "LogAlert" and rule.inputs["enabled"] is True
        assert rule.inputs["scopes"] == [insights.id]
        assert rule.inputs["actions"]["actionGroups"] == [group.id]
        (condition,) = rule.inputs["criteria"]["allOf"]
        assert (condition["operator"], condition["threshold"]) == (operator, threshold)
        # The rule aggregates the very column the query computes.
        assert re.search(rf"\b{condition['metricMeasureColumn']} =", condition["query"])
    emails = [r["emailAddress"] for r in group.inputs["emailReceivers"]]
    assert emails == ["platform-oncall@example.com"]


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
    rule = dev.one(RULE, "slo-availability")
    assert (
        f'name == "{probe.inputs["webTestName"]}"' in rule.inputs["criteria"]["allOf"][0]["query"]
    )
