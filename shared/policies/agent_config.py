"""The repository's agent config (``.agent.yml``) merged with the tenant's policy.

The tenant sets the limits; a repository may narrow them (fewer paths, stricter approval) but
never widen them: its ``allowed_paths`` are intersected with the tenant's by being checked in
addition, its ``denied_paths`` add to the defaults, and its approval rule can only ask for more.
Unknown keys and wrong types are refused with a clear message (a broken config must not silently
become a permissive one).

The check: ``check_command`` runs in the sandbox with no network; ``setup`` (shell command lines)
runs before it with the setup network, to install dependencies; ``setup_cache`` names the
workspace paths setup fills, kept per lock-file hash; ``checkout_paths`` are checked out when the
repository has more files than a checkout takes (sparse checkout).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from shared.domain.errors import InvalidInput

CONFIG_PATH = ".agent.yml"
APPROVAL_RULES = ("always", "risk", "never")
EDIT_FORMATS = ("udiff", "search-replace", "whole")


@dataclass(frozen=True)
class FlowPlan:
    """What one task may do: merged from platform defaults, tenant settings and the repo."""

    allowed_paths: tuple[str, ...] = ("**",)
    repo_allowed_paths: tuple[str, ...] = ()
    denied_paths: tuple[str, ...] = ()
    check_command: tuple[str, ...] = ()
    check_timeout_s: int = 120
    #: Shell command lines run in the sandbox before the check, with the setup network.
    setup: tuple[str, ...] = ()
    #: Workspace paths setup fills (a virtualenv, node_modules) kept per lock-file hash.
    setup_cache: tuple[str, ...] = ()
    #: Paths checked out when the repository is over the checkout's file limit (sparse).
    checkout_paths: tuple[str, ...] = ()
    approval: str = "risk"
    approval_timeout_hours: float = 72.0
    max_attempts: int = 3
    #: Tool calls (search, read, list, find, check) the model may make per attempt before it
    #: must edit, and the tokens those tool-using turns may spend together per attempt.
    max_tool_steps: int = 6
    max_tool_tokens: int = 60_000
    max_files: int = 20
    max_changed_lines: int = 600
    context_budget_tokens: int = 12_000
    sensitive_paths: tuple[str, ...] = (
        "auth/**",
        "**/auth/**",
        "security/**",
        "**/security/**",
        "migrations/**",
        "**/migrations/**",
    )
    edit_format: str = "udiff"
    llm_routes: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowPlan:
        known = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
        }
        return cls(**known)  # type: ignore[arg-type]  # validated keys, typed at the edge


_REPO_KEYS: dict[str, type | tuple[type, ...]] = {
    "allowed_paths": list,
    "denied_paths": list,
    "check_command": (list, str),
    "check_timeout_s": int,
    "setup": (list, str),
    "setup_cache": list,
    "checkout_paths": list,
    "approval": str,
    "max_attempts": int,
    "max_tool_steps": int,
    "max_tool_tokens": int,
    "max_files": int,
    "max_changed_lines": int,
    "sensitive_paths": list,
    "edit_format": str,
}


def parse_repo_config(text: str | None) -> dict[str, Any]:
    """The validated mapping of an ``.agent.yml`` (empty when the file is absent)."""
    if not text or not text.strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"{CONFIG_PATH} is not valid YAML: {exc}", code="bad-agent-config"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{CONFIG_PATH} must be a mapping", code="bad-agent-config")
    for key, value in data.items():
        expected = _REPO_KEYS.get(key)
        if expected is None:
            raise InvalidInput(f"{CONFIG_PATH}: unknown key {key!r}", code="bad-agent-config")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise InvalidInput(f"{CONFIG_PATH}: {key} has the wrong type", code="bad-agent-config")
    for key in ("setup", "setup_cache", "checkout_paths"):
        values = data.get(key, [])
        if not all(isinstance(v, str) and v.strip() for v in _listed(values)):
            raise InvalidInput(
                f"{CONFIG_PATH}: {key} must be a list of non-empty strings", code="bad-agent-config"
            )
    if data.get("approval", "risk") not in APPROVAL_RULES:
        raise InvalidInput(
            f"{CONFIG_PATH}: approval must be one of {APPROVAL_RULES}", code="bad-agent-config"
        )
    if data.get("edit_format", "udiff") not in EDIT_FORMATS:
        raise InvalidInput(
            f"{CONFIG_PATH}: edit_format must be one of {EDIT_FORMATS}", code="bad-agent-config"
        )
    return data


def _listed(value: str | list[Any]) -> list[Any]:
    return [value] if isinstance(value, str) else value


def _stricter_approval(tenant_rule: str, repo_rule: str | None) -> str:
    order = {"never": 0, "risk": 1, "always": 2}
    return max(tenant_rule, repo_rule or tenant_rule, key=order.__getitem__)


def plan_for(tenant_settings: dict[str, Any], repo_config: dict[str, Any]) -> FlowPlan:
    """Merge tenant policy and repository config into the task's plan (the repo only narrows)."""
    base = FlowPlan.from_dict(tenant_settings.get("patch_policy", {}))
    check = repo_config.get("check_command", base.check_command)
    if isinstance(check, str):
        check = check.split()

    def narrowed(key: str) -> int:
        return min(int(repo_config.get(key, getattr(base, key))), int(getattr(base, key)))

    return replace(
        base,
        repo_allowed_paths=tuple(repo_config.get("allowed_paths", ())),
        denied_paths=base.denied_paths + tuple(repo_config.get("denied_paths", ())),
        check_command=tuple(check),
        check_timeout_s=narrowed("check_timeout_s"),
        setup=tuple(_listed(repo_config.get("setup", []))),
        setup_cache=tuple(repo_config.get("setup_cache", ())),
        checkout_paths=tuple(repo_config.get("checkout_paths", ())),
        approval=_stricter_approval(base.approval, repo_config.get("approval")),
        max_attempts=max(1, narrowed("max_attempts")),
        max_tool_steps=max(0, narrowed("max_tool_steps")),
        max_tool_tokens=max(0, narrowed("max_tool_tokens")),
        max_files=narrowed("max_files"),
        max_changed_lines=narrowed("max_changed_lines"),
        sensitive_paths=base.sensitive_paths + tuple(repo_config.get("sensitive_paths", ())),
        edit_format=str(repo_config.get("edit_format", base.edit_format)),
        llm_routes=tuple(tenant_settings.get("llm_routes", base.llm_routes)),
    )
