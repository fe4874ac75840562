"""Reading the stack configuration into ``PlatformSettings``, validated, all problems at once.

``parse_settings`` is pure (a mapping in, frozen dataclasses out) so that every rule is unit
tested without Pulumi; ``load_settings`` only gathers the raw values from ``pulumi.Config``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from agent_infra.console import STATIC_WEB_APP_REGIONS, STATIC_WEB_APP_SKUS
from agent_infra.durable import BACKENDS, SCHEDULER_SKUS
from agent_infra.entra import SIGN_IN_AUDIENCES
from agent_infra.naming import InvalidName, validate_slug
from agent_infra.settings import (
    GEO_BACKUP_REGIONS,
    MIN_ACA_SUBNET_PREFIX,
    PRODUCTION,
    SCM_PROVIDERS,
    SUBNET_FIELDS,
    AlertSettings,
    ConsoleSettings,
    FunctionAppSettings,
    GpuSettings,
    ModelRegistrySettings,
    NetworkSettings,
    PlatformSettings,
    PostgresSettings,
    SandboxSettings,
    SettingsError,
    TenantSettings,
)


def _section(raw: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        problems.append(f"{key}: expected an object")
        return {}
    return value


def _build(cls: type, values: Mapping[str, Any], key: str, problems: list[str]) -> Any:
    """``cls(**values)`` with camelCase keys, unknown keys and wrongly typed values reported."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - {_camel(name) for name in fields})
    if unknown:
        problems.append(f"{key}: unknown keys {unknown}")
    kwargs = {
        name: tuple(value) if isinstance(value, list) else value
        for name in fields
        if (value := values.get(_camel(name), dataclasses.MISSING)) is not dataclasses.MISSING
    }
    for name, value in kwargs.items():
        default = fields[name].default
        if default not in (dataclasses.MISSING, None) and not _same_kind(value, default):
            problems.append(f"{key}.{_camel(name)}: expected {type(default).__name__}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        problems.append(f"{key}: {exc}")
        return None


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _tenants(raw: Sequence[Any], problems: list[str]) -> tuple[TenantSettings, ...]:
    tenants = []
    for item in raw:
        if not isinstance(item, Mapping) or "slug" not in item:
            problems.append(f"tenants: each entry needs a slug, got {item!r}")
            continue
        try:
            slug = validate_slug(str(item["slug"]))
        except InvalidName as exc:
            problems.append(f"tenants: {exc}")
            continue
        providers = tuple(item.get("providers") or ("github",))
        unknown = sorted(set(providers) - set(SCM_PROVIDERS))
        if unknown:
            problems.append(f"tenants: {slug}: unknown providers {unknown}")
        tenants.append(TenantSettings(slug, str(item.get("displayName", slug)), providers))
    slugs = [t.slug for t in tenants]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        problems.append(f"tenants: duplicate slugs {duplicates}")
    return tuple(tenants)


def _check_network(net: NetworkSettings, problems: list[str]) -> None:
    try:
        space = ipaddress.ip_network(net.address_space)
        subnets = {name: ipaddress.ip_network(getattr(net, name)) for name in SUBNET_FIELDS}
    except ValueError as exc:
        problems.append(f"network: {exc}")
        return
    names = list(subnets)
    for i, name in enumerate(names):
        if not subnets[name].subnet_of(space):  # type: ignore[arg-type]
            problems.append(f"network: {name} {subnets[name]} is outside {space}")
        for other in names[i + 1 :]:
            if subnets[name].overlaps(subnets[other]):
                problems.append(f"network: {name} overlaps {other}")
    if subnets["container_apps_subnet"].prefixlen > MIN_ACA_SUBNET_PREFIX:
        problems.append("network: container_apps_subnet must be a /27 or larger")


def _check_postgres(pg: PostgresSettings, env: str, location: str, problems: list[str]) -> None:
    if not 7 <= pg.backup_retention_days <= 35:
        problems.append("postgres: backupRetentionDays must be 7-35")
    if env == PRODUCTION and not pg.high_availability:
        problems.append("postgres: production needs zone-redundant HA (RTO <= 1 h)")
    if pg.geo_redundant_backup and location not in GEO_BACKUP_REGIONS:
        problems.append(f"postgres: geo-redundant backup is not available in {location}")
    if pg.primary_zone == pg.standby_zone:
        problems.append("postgres: standbyZone must differ from primaryZone")


ACR_ID_PATTERN = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.ContainerRegistry/registries/(?P<name>[A-Za-z0-9]{5,50})$"
)


def _check_function_app(app: FunctionAppSettings, problems: list[str]) -> None:
    if app.durable_backend not in BACKENDS:
        problems.append(f"functionApp.durableBackend: one of {list(BACKENDS)}")
    if app.scheduler_sku not in SCHEDULER_SKUS:
        problems.append(f"functionApp.schedulerSku: one of {list(SCHEDULER_SKUS)}")
    if app.scheduler_capacity < 1:
        problems.append("functionApp.schedulerCapacity: at least 1")


def _check_gpu(gpu: GpuSettings, problems: list[str]) -> None:
    """An image from Azure Container Registry is pulled with the app's identity: its registry
    must be named (``registryServer``) with its resource id, which gets the AcrPull grant."""
    host = gpu.image.split("/", 1)[0]
    if not host.endswith(".azurecr.io") and not gpu.registry_server:
        return
    if gpu.registry_server != host:
        problems.append(f"gpu.registryServer: must be {host!r}, the registry of gpu.image")
    found = ACR_ID_PATTERN.fullmatch(gpu.registry_resource_id or "")
    if found is None:
        problems.append(
            "gpu.registryResourceId: required (the registry's resource id, "
            ".../providers/Microsoft.ContainerRegistry/registries/<name>) for the AcrPull grant"
        )
    elif f"{found['name'].lower()}.azurecr.io" != host:
        problems.append(f"gpu.registryResourceId: names {found['name']!r}, not the {host} registry")


def _check_console(console: ConsoleSettings, problems: list[str]) -> None:
    if console.location not in STATIC_WEB_APP_REGIONS:
        regions = sorted(STATIC_WEB_APP_REGIONS)
        problems.append(f"console.location: Static Web Apps exist only in {regions}")
    if console.sku not in STATIC_WEB_APP_SKUS:
        problems.append(f"console.sku: one of {list(STATIC_WEB_APP_SKUS)}")
    parts = urlsplit(console.authority)
    if parts.scheme != "https" or not parts.netloc or parts.path not in ("", "/"):
        problems.append(
            "console.authority: an https origin, e.g. https://login.microsoftonline.com"
        )
    if console.sign_in_audience not in SIGN_IN_AUDIENCES:
        problems.append(f"console.signInAudience: one of {list(SIGN_IN_AUDIENCES)}")


def parse_settings(
    raw: Mapping[str, Any], *, project: str, stack: str, location: str
) -> PlatformSettings:
    """Build the settings from the project's config values (camelCase keys, JSON-decoded)."""
    problems: list[str] = []
    for key in ("environment", "namePrefix", "owner"):
        if not raw.get(key):
            problems.append(f"{key}: required")
    sections = {
        key: _section(raw, key, problems)
        for key in (
            "network",
            "postgres",
            "functionApp",
            "gpu",
            "modelRegistry",
            "sandbox",
            "alerts",
            "console",
        )
    }
    network = _build(NetworkSettings, sections["network"], "network", problems)
    pg_raw = dict(sections["postgres"])
    pg_raw.setdefault("geoRedundantBackup", location in GEO_BACKUP_REGIONS)
    postgres = _build(PostgresSettings, pg_raw, "postgres", problems)
    function_app = _build(FunctionAppSettings, sections["functionApp"], "functionApp", problems)
    if not sections["gpu"].get("image"):
        problems.append("gpu.image: required (the image built from gpu-inference/)")
    gpu = _build(GpuSettings, sections["gpu"], "gpu", problems)
    problems += [
        f"modelRegistry.{key}: required"
        for key in ("image",)
        if not sections["modelRegistry"].get(key)
    ]
    registry = _build(ModelRegistrySettings, sections["modelRegistry"], "modelRegistry", problems)
    if not sections["sandbox"].get("image"):
        problems.append("sandbox.image: required (the image built from sandbox-image/)")
    sandbox = _build(SandboxSettings, sections["sandbox"], "sandbox", problems)
    alerts = _build(AlertSettings, sections["alerts"], "alerts", problems)
    console = _build(ConsoleSettings, sections["console"], "console", problems)
    tenants = _tenants(raw.get("tenants") or [], problems)
    env = str(raw.get("environment", ""))
    if network:
        _check_network(network, problems)
    if postgres:
        _check_postgres(postgres, env, location, problems)
    if function_app:
        _check_function_app(function_app, problems)
    if gpu:
        _check_gpu(gpu, problems)
    if console:
        _check_console(console, problems)
    settings = None
    if not problems:
        try:
            settings = PlatformSettings(
                project=project,
                stack=stack,
                environment=env,
                location=location,
                name_prefix=str(raw["namePrefix"]),
                owner=str(raw["owner"]),
                name_seed=str(raw.get("nameSeed", "")),
                extra_tags=dict(raw.get("tags") or {}),
                network=network,
                postgres=postgres,
                function_app=function_app,
                gpu=gpu,
                model_registry=registry,
                sandbox=sandbox,
                alerts=alerts,
                console=console,
                tenants=tenants,
            )
            settings.naming.key_vault()  # validates prefix and environment early
        except InvalidName as exc:
            problems.append(str(exc))
    if problems or settings is None:
        raise SettingsError("invalid stack configuration:\n  " + "\n  ".join(problems))
    return settings


CONFIG_KEYS = ("environment", "namePrefix", "owner", "nameSeed")
OBJECT_KEYS = (
    "tags",
    "network",
    "postgres",
    "functionApp",
    "gpu",
    "modelRegistry",
    "sandbox",
    "alerts",
    "console",
    "tenants",
)


def load_settings(config: Any, *, project: str, stack: str, location: str) -> PlatformSettings:
    """Read the stack's values from a ``pulumi.Config`` once and parse them."""
    raw: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        if (value := config.get(key)) is not None:
            raw[key] = value
    for key in OBJECT_KEYS:
        if (value := config.get_object(key)) is not None:
            raw[key] = value
    return parse_settings(raw, project=project, stack=stack, location=location)
