"""Run the Pulumi program under mocks and hand back what it registered.

``run_program`` gives each run a fresh event loop, the stack's config and a recording monitor,
runs with ``preview=False`` (so every ``apply`` runs on mock outputs instead of staying unknown),
waits for all registrations, then resets Pulumi's process-wide settings.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from platform_rules import POLICIES
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from tests.mocks import AzureMocks, RecordingMonitor, Registration

PROGRAM_DIR = Path(__file__).resolve().parents[1]
PROJECT = "ai-code-agent-infra"


def stack_config(stack: str) -> dict[str, Any]:
    """The committed sample ``Pulumi.<stack>.yaml`` as {"namespace:key": value}."""
    document = yaml.safe_load((PROGRAM_DIR / f"Pulumi.{stack}.yaml").read_text())
    return dict(document["config"])


def with_values(config: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """A copy of ``config`` with project keys replaced (``tenants=[...]``)."""
    return {**config, **{f"{PROJECT}:{key}": value for key, value in values.items()}}


@dataclass(frozen=True)
class Deployment:
    registrations: tuple[Registration, ...]
    outputs: Mapping[str, Any]

    def of_type(self, token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == token]

    def one(self, token: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        assert len(found) == 1, (
            f"expected one {token} {name or ''}, found {[r.name for r in found]}"
        )
        return found[0]

    def named(self, name: str) -> Registration:
        found = [r for r in self.registrations if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def children_of(self, urn: str) -> list[Registration]:
        return [r for r in self.registrations if r.parent == urn]

    def fingerprint(self) -> dict[str, str]:
        """URN -> its inputs as canonical JSON: two runs differ exactly where this differs."""
        return {r.urn: json.dumps(r.inputs, sort_keys=True) for r in self.registrations}


def _config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def run_program(
    config: Mapping[str, Any],
    program: Callable[[], Any] | None = None,
    *,
    stack: str = "test",
) -> Deployment:
    """Run ``program`` (default: ``__main__.py``) with ``config`` under mocks."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = AzureMocks()
    monitor = RecordingMonitor(mocks)
    outputs: dict[str, Any] = {}
    try:
        pulumi.runtime.set_all_config(_config_strings(config))
        pulumi.runtime.set_mocks(
            mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor
        )
        pulumi.runtime.test(lambda: _run_and_collect(program or _run_main, outputs))()
    finally:
        pulumi.runtime.settings.reset_options()
        pulumi.runtime.set_all_config({})
        loop.close()
        asyncio.set_event_loop(None)
    return Deployment(tuple(monitor.registrations), outputs)


def _run_main() -> None:
    runpy.run_path(str(PROGRAM_DIR / "__main__.py"), run_name="__main__")


def _run_and_collect(program: Callable[[], Any], into: dict[str, Any]) -> pulumi.Output[None]:
    """Run the program, then resolve its stack exports into ``into`` (the returned Output is
    awaited by ``pulumi.runtime.test``, so the values are known when the run ends)."""
    program()
    exports = getattr(pulumi.runtime.settings.get_root_resource(), "outputs", None) or {}
    return pulumi.Output.from_input(exports).apply(into.update)


def names(registrations: Iterable[Registration]) -> set[str]:
    return {r.name for r in registrations}


def _options(r: Registration) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=r.protect,
        ignore_changes=list(r.ignore_changes),
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=r.parent,
    )


def policy_violations(deployment: Deployment) -> list[tuple[str, str]]:
    """Run every policy rule as the analyzer would: resource rules over each registration's
    inputs, stack rules once over all resources' outputs. Returns (policy, message)."""
    found: list[tuple[str, str]] = []
    resource_rules = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
    for r in deployment.registrations:
        args = ResourceValidationArgs(
            resource_type=r.type,
            props=r.inputs,
            urn=r.urn,
            name=r.name,
            opts=_options(r),
            provider=None,
        )
        for policy in resource_rules:
            policy.validate(
                args, lambda message, urn=None, p=policy.name: found.append((p, message))
            )
    stack = StackValidationArgs(
        resources=[
            PolicyResource(r.type, r.outputs, r.urn, r.name, _options(r), None, None, [], {})
            for r in deployment.registrations
        ]
    )
    for policy in POLICIES:
        if isinstance(policy, StackValidationPolicy):
            policy.validate(
                stack, lambda message, urn=None, p=policy.name: found.append((p, message))
            )
    return found
