"""Every KQL query the program deploys (alert rules, workbook panels) parses and binds against
Application Insights' tables: a misspelt column or table fails here, not in Azure."""

from __future__ import annotations

import json

from tests.harness import Deployment
from tests.kql_check import kql_errors

RULE = "azure-native:monitor:ScheduledQueryRule"
WORKBOOK = "azure-native:applicationinsights:Workbook"


def deployed_queries(deployment: Deployment) -> dict[str, str]:
    queries = {
        rule.name: rule.inputs["criteria"]["allOf"][0]["query"] for rule in deployment.of_type(RULE)
    }
    content = json.loads(deployment.one(WORKBOOK).inputs["serializedData"])
    for item in content["items"]:
        if item["type"] == 3:
            # The workbook fills in its parameters before it runs a query; so does the check.
            queries[f"workbook/{item['name']}"] = item["content"]["query"].replace(
                "{Tenant}", "acme"
            )
        if item["type"] == 9:
            for parameter in item["content"]["parameters"]:
                if "query" in parameter:
                    queries[f"workbook/parameter/{parameter['name']}"] = parameter["query"]
    return queries


def test_every_deployed_query_parses_and_binds(dev: Deployment):
    queries = deployed_queries(dev)
    assert len(queries) == 5 + 7 + 1  # alert rules, workbook panels, the tenant picker
    assert kql_errors(queries) == {name: [] for name in queries}


def test_the_check_reports_unknown_tables_columns_and_syntax_errors():
    errors = kql_errors(
        {
            "sound": "requests | summarize p95 = percentile(duration, 95)",
            "table": "request | count",
            "column": "customMetrics | summarize sum(valueSums)",
            "syntax": "requests | summarize count(",
        }
    )
    assert errors["sound"] == []
    assert all(errors[name] for name in ("table", "column", "syntax")), errors


def test_a_deployed_query_with_a_misspelt_column_is_caught(dev: Deployment):
    name, query = next((n, q) for n, q in deployed_queries(dev).items() if "valueSum" in q)
    assert kql_errors({name: query.replace("valueSum", "value_sum")})[name]
