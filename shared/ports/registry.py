"""The model registry: which model version may answer, and what is known about each version.

MLflow's model registry in production (``shared.adapters.registry.mlflow``); the in-memory
``FakeModelRegistry`` below for unit tests of services.
"""

from __future__ import annotations

import itertools
import threading
from abc import ABC, abstractmethod
from dataclasses import replace

from shared.domain.errors import Conflict, NotFound
from shared.domain.models import (
    EvaluationResult,
    ModelSpec,
    ModelVersion,
    Promotion,
    validate_alias,
    validate_model_name,
)


class ModelRegistry(ABC):
    """Registered models, their versions, aliases and evaluations.

    An alias is global (``tenant=None``) or a tenant's own; a tenant's alias, when set, wins over
    the global one for that tenant only. Versions are immutable once registered except for
    their tags (promotion records). Unknown names, versions or aliases raise ``NotFound``.
    """

    @abstractmethod
    def register(
        self, name: str, spec: ModelSpec, *, description: str, created_by: str
    ) -> ModelVersion:
        """A new version of ``name`` (the model is created on its first version)."""

    @abstractmethod
    def get(self, name: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def names(self) -> list[str]:
        """The registered models' names, sorted."""

    @abstractmethod
    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first (empty when the model does not exist)."""

    @abstractmethod
    def resolve(self, name: str, alias: str, tenant: str | None = None) -> ModelVersion:
        """The version ``alias`` names for ``tenant`` (its own alias, else the global one)."""

    @abstractmethod
    def set_alias(self, name: str, alias: str, version: int, tenant: str | None = None) -> None: ...

    @abstractmethod
    def set_tag(self, name: str, version: int, key: str, value: str) -> None: ...

    @abstractmethod
    def log_evaluation(self, name: str, version: int, result: EvaluationResult) -> EvaluationResult:
        """Record ``result`` as a tracking run linked to the version; returns it with its run
        id."""

    @abstractmethod
    def evaluations(self, name: str, version: int) -> list[EvaluationResult]:
        """The version's evaluations, oldest first."""


class FakeModelRegistry(ModelRegistry):
    """In memory, for unit tests of services."""

    def __init__(self) -> None:
        self._versions: dict[str, list[ModelVersion]] = {}
        self._aliases: dict[tuple[str, str, str | None], int] = {}
        self._evaluations: dict[tuple[str, int], list[EvaluationResult]] = {}
        self._runs = itertools.count(1)
        self._lock = threading.Lock()

    def register(
        self, name: str, spec: ModelSpec, *, description: str, created_by: str
    ) -> ModelVersion:
        validate_model_name(name)
        with self._lock:
            versions = self._versions.setdefault(name, [])
            version = ModelVersion(
                name, len(versions) + 1, spec, description=description, created_by=created_by
            )
            versions.append(version)
            return version

    def get(self, name: str, version: int) -> ModelVersion:
        with self._lock:
            versions = self._versions.get(name, [])
            if not 1 <= version <= len(versions):
                raise NotFound(f"no version {version} of model {name!r}", code="model-not-found")
            found = versions[version - 1]
            aliases = tuple(
                sorted(
                    a
                    for (n, a, t), v in self._aliases.items()
                    if (n, v, t) == (name, version, None)
                )
            )
            tenants = tuple(
                sorted(
                    (t, a)
                    for (n, a, t), v in self._aliases.items()
                    if t is not None and (n, v) == (name, version)
                )
            )
            return replace(found, aliases=aliases, tenant_aliases=tenants)

    def names(self) -> list[str]:
        return sorted(self._versions)

    def versions(self, name: str) -> list[ModelVersion]:
        count = len(self._versions.get(name, []))
        return [self.get(name, v) for v in range(1, count + 1)]

    def resolve(self, name: str, alias: str, tenant: str | None = None) -> ModelVersion:
        validate_alias(alias)
        version = self._aliases.get((name, alias, tenant)) if tenant else None
        version = version or self._aliases.get((name, alias, None))
        if version is None:
            raise NotFound(f"model {name!r} has no alias {alias!r}", code="model-alias-not-found")
        return self.get(name, version)

    def set_alias(self, name: str, alias: str, version: int, tenant: str | None = None) -> None:
        validate_alias(alias)
        self.get(name, version)
        with self._lock:
            self._aliases[(name, alias, tenant)] = version

    def set_tag(self, name: str, version: int, key: str, value: str) -> None:
        self.get(name, version)
        with self._lock:
            self._versions[name][version - 1].tags[key] = value

    def log_evaluation(self, name: str, version: int, result: EvaluationResult) -> EvaluationResult:
        self.get(name, version)
        with self._lock:
            logged = replace(result, run_id=f"run-{next(self._runs)}")
            self._evaluations.setdefault((name, version), []).append(logged)
            return logged

    def evaluations(self, name: str, version: int) -> list[EvaluationResult]:
        self.get(name, version)
        return list(self._evaluations.get((name, version), []))


def already_decided(step: Promotion) -> Conflict:
    return Conflict(
        f"{step.model}/{step.version}: the proposal was decided already", code="already-decided"
    )


class PromotionLog(ABC):
    """The append-only record of promotion steps (PostgreSQL ``platform.model_promotions``)."""

    @abstractmethod
    def append(self, step: Promotion) -> Promotion:
        """``step`` as recorded, with its ``id``; a second approval or rejection of the same
        ``proposal`` raises ``Conflict`` (``already-decided``)."""

    @abstractmethod
    def history(self, model: str, version: int | None = None) -> list[Promotion]:
        """Steps of ``model`` (of one version when given), oldest first."""


class FakePromotionLog(PromotionLog):
    def __init__(self) -> None:
        self.steps: list[Promotion] = []

    def append(self, step: Promotion) -> Promotion:
        decisions = ("approved", "rejected")
        if (
            step.proposal is not None
            and step.action in decisions
            and any(s.proposal == step.proposal and s.action in decisions for s in self.steps)
        ):
            raise already_decided(step)
        recorded = replace(step, id=len(self.steps) + 1)
        self.steps.append(recorded)
        return recorded

    def history(self, model: str, version: int | None = None) -> list[Promotion]:
        return [s for s in self.steps if s.model == model and version in (None, s.version)]
