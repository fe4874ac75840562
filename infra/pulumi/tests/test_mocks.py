"""The mocks are strict: what they do not know fails the run instead of passing silently."""

from __future__ import annotations

import pulumi
import pulumi_azuread as azuread
import pytest
from pulumi_azure_native import resources

from tests.harness import run_program
from tests.mocks import SUBSCRIPTION_ID


def test_an_unknown_invoke_fails_the_run():
    def program() -> None:
        pulumi.export("rg", resources.get_resource_group_output(resource_group_name="rg").name)

    with pytest.raises(
        Exception, match="unexpected invoke azure-native:resources:getResourceGroup"
    ):
        run_program({}, program)


def test_a_resource_type_without_mock_outputs_fails_the_run():
    def program() -> None:
        resources.Deployment(
            "deployment", resource_group_name="rg", properties={"mode": "Incremental"}
        )

    with pytest.raises(Exception, match="no mock outputs for azure-native:resources:Deployment"):
        run_program({}, program)


def test_an_azuread_type_without_mock_outputs_fails_the_run():
    def program() -> None:
        azuread.Group("group", display_name="admins", security_enabled=True)

    with pytest.raises(Exception, match="no mock outputs for azuread:index/group:Group"):
        run_program({}, program)


def test_computed_outputs_reach_dependent_inputs():
    """preview=False: an apply on a provider-computed output runs and its value is registered."""

    def program() -> None:
        group = resources.ResourceGroup("rg", resource_group_name="rg-x", location="swedencentral")
        resources.ResourceGroup("second", location=group.id.apply(lambda i: i.split("/")[2]))

    deployment = run_program({}, program)
    assert deployment.named("second").inputs["location"] == SUBSCRIPTION_ID
