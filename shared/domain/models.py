"""Model governance as values: what a registered model version pins, how a route names it, what
an evaluation measured and what a promotion needs. No I/O here.

A version of ``patch-generator`` pins everything that decides an answer: provider, model id and
its digest/version, the prompt template (name, version, content hash), the edit format and the
call parameters. Routes name a version through an alias (``models:/patch-generator@champion``),
global or per tenant; the registry (``shared.ports.registry``) decides which version answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.domain.errors import InvalidInput
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import EDIT_FORMATS, LlmRoute

PATCH_MODEL = "patch-generator"
CHAMPION = "champion"
CHALLENGER = "challenger"
ALIASES = (CHAMPION, CHALLENGER)
URI_SCHEME = "models:/"

_NAME = re.compile(r"^[a-z][a-z0-9\-]{0,62}$")
_URI = re.compile(r"^models:/([a-z][a-z0-9\-]{0,62})(?:@([a-z]+)|/([1-9][0-9]{0,8}))$")
_REF = re.compile(r"^([a-z][a-z0-9\-]{0,62})(?:@([a-z]+)|/([1-9][0-9]{0,8}))?$")


def validate_model_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(f"invalid model name {name!r}", code="invalid-model-name")
    return name


def validate_alias(alias: str) -> str:
    if alias not in ALIASES:
        raise InvalidInput(
            f"alias must be one of {', '.join(ALIASES)}, got {alias!r}", code="invalid-alias"
        )
    return alias


@dataclass(frozen=True)
class ModelRef:
    """A registered model and either an alias or a version (neither: its champion)."""

    name: str
    alias: str | None = None
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """``models:/NAME@ALIAS``, ``models:/NAME/VERSION``, or the CLI's short forms
        ``NAME``, ``NAME@ALIAS``, ``NAME/VERSION``; ``InvalidInput`` (``invalid-model-ref``)."""
        match = _URI.match(text) if text.startswith(URI_SCHEME) else _REF.match(text)
        if not match:
            raise InvalidInput(f"invalid model reference {text!r}", code="invalid-model-ref")
        name, alias, version = match.groups()
        if alias is None and version is None:
            alias = CHAMPION
        if alias is not None:
            validate_alias(alias)
        return cls(name, alias, int(version) if version else None)

    @property
    def uri(self) -> str:
        return f"{URI_SCHEME}{self.name}" + (f"@{self.alias}" if self.alias else f"/{self.version}")


def card_path(registry_version: str | None) -> str | None:
    """The API path of the card of ``models:/NAME/N`` (None for anything else): the link that
    lineage and PR bodies carry."""
    match = _URI.match(registry_version or "")
    if not match or match.group(3) is None:
        return None
    return f"/api/models/{match.group(1)}/versions/{match.group(3)}/card"


@dataclass(frozen=True)
class ModelSpec:
    """What a version pins. ``model_version`` is the digest (Ollama) or version the provider
    reports, None where the model id is already versioned; ``prompt`` is ``name.vN`` and
    ``prompt_hash`` the template file's SHA-256 (``TemplateRef.content_hash``)."""

    provider: ProviderKind
    model: str
    prompt: str
    prompt_hash: str
    edit_format: str
    model_version: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    endpoint: str | None = None

    def __post_init__(self) -> None:
        LlmRoute(self.provider, self.model)  # the same model-name rule as routes
        if self.edit_format not in EDIT_FORMATS:
            raise InvalidInput(
                f"edit_format must be one of {', '.join(EDIT_FORMATS)}", code="invalid-model-spec"
            )
        if not re.match(r"^[a-z][a-z0-9_]*\.v[1-9][0-9]*$", self.prompt):
            raise InvalidInput(
                f"prompt must be name.vN, got {self.prompt!r}", code="invalid-model-spec"
            )

    def route(self, registry_version: str) -> LlmRoute:
        """The route this version answers on, carrying which registry version it came from."""
        return LlmRoute(
            self.provider,
            self.model,
            endpoint=self.endpoint,
            timeout_s=float(self.parameters.get("timeout_s", 120.0)),
            edit_format=self.edit_format,
            registry_version=registry_version,
            prompt=self.prompt,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": str(self.provider),
            "model": self.model,
            "model_version": self.model_version,
            "prompt": self.prompt,
            "prompt_hash": self.prompt_hash,
            "edit_format": self.edit_format,
            "parameters": self.parameters,
            "endpoint": self.endpoint,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ModelSpec:
        if not isinstance(data, dict):
            raise InvalidInput("a model spec must be an object", code="invalid-model-spec")
        try:
            return cls(
                provider=ProviderKind(str(data["provider"])),
                model=str(data["model"]),
                model_version=data.get("model_version"),
                prompt=str(data["prompt"]),
                prompt_hash=str(data["prompt_hash"]),
                edit_format=str(data["edit_format"]),
                parameters=dict(data.get("parameters") or {}),
                endpoint=data.get("endpoint"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(f"invalid model spec: {exc}", code="invalid-model-spec") from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


@dataclass(frozen=True)
class ModelVersion:
    """A registered version. ``aliases`` are its global aliases and ``tenant_aliases`` the
    ``(tenant, alias)`` pairs naming it; ``tags`` hold promotion records (see ``promotion``)."""

    name: str
    version: int
    spec: ModelSpec
    description: str = ""
    created_by: str = ""
    created_at: str = ""
    aliases: tuple[str, ...] = ()
    tenant_aliases: tuple[tuple[str, str], ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"{URI_SCHEME}{self.name}/{self.version}"


@dataclass(frozen=True)
class EvaluationResult:
    """One evaluation of a version on a suite. Rates are fractions of the suite's tasks:
    ``resolved`` (the failing tests pass, nothing else broke), ``applied`` (the edit applied),
    ``well_formed`` (the answer parsed as the edit format). ``run_id`` names the tracking run."""

    suite: str
    suite_version: str
    tasks: int
    resolved: float
    applied: float
    well_formed: float
    tokens: int
    cost_usd: Decimal
    latency_ms: int
    run_id: str = ""
    details: tuple[dict[str, Any], ...] = ()

    def metrics(self) -> dict[str, float]:
        return {
            "resolved": self.resolved,
            "applied": self.applied,
            "well_formed": self.well_formed,
            "tokens": float(self.tokens),
            "cost_usd": float(self.cost_usd),
            "latency_ms": float(self.latency_ms),
            "tasks": float(self.tasks),
        }


@dataclass(frozen=True)
class Promotion:
    """One step of an alias's promotion, as recorded (append-only). ``action`` is ``proposed``,
    ``approved``, ``rejected``, ``refused`` or ``rolled-back``; ``previous`` the version the
    alias named before an approval or rollback moved it; ``gate`` the gate's verdict when it was
    checked. ``actor`` is readable (user name and object id); ``actor_id`` is the identity that
    separation of duties compares (the Entra object id; the operator's name at the CLI).
    ``id`` is the record's (None until appended); ``proposal`` the id of the proposal a
    decision (approval, rejection) decides: each is decided once."""

    model: str
    version: int
    alias: str
    tenant: str | None
    action: str
    actor: str
    reason: str = ""
    gate: dict[str, Any] = field(default_factory=dict)
    previous: int | None = None
    occurred_at: str = ""
    actor_id: str = ""
    id: int | None = None
    proposal: int | None = None
