"""``ModelRegistry`` on MLflow's model registry and tracking runs.

The tracking URI is an MLflow tracking server (``https://...``: the Container App in Azure, Entra
ID in front, a refreshed bearer token from ``auth``: ``shared.adapters.registry.entra_auth``)
or, locally, a SQLAlchemy URL of the registry's own PostgreSQL database
(``postgresql+psycopg://...``; MLflow creates its tables on first use). ``mlflow`` is
imported on first use, never at import time (Functions cold start).

Mapping: a version's ``ModelSpec`` is its ``spec`` tag (JSON); a tenant's alias is the MLflow
alias ``<alias>--<tenant>`` (aliases are validated as ``champion``/``challenger`` and tenant slugs
hold no ``--``, so the two never collide); an evaluation is a run in the experiment
``eval/<model>``, tagged with the model version it measured, its metrics logged as run metrics.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.domain.errors import NotFound, Unavailable
from shared.domain.models import (
    EvaluationResult,
    ModelSpec,
    ModelVersion,
    validate_alias,
    validate_model_name,
)
from shared.ports.registry import ModelRegistry

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from shared.adapters.registry.entra_auth import EntraBearerAuth

_SPEC = "spec"
_TENANT_SEP = "--"


def _alias(alias: str, tenant: str | None) -> str:
    validate_alias(alias)
    return alias if tenant is None else f"{alias}{_TENANT_SEP}{tenant}"


class MlflowModelRegistry(ModelRegistry):
    """See the module docstring. ``tracking_uri`` may be a function giving it, called on first
    use (creating a local store's database is I/O). ``artifact_location`` is where evaluation
    runs keep their artifacts (a folder URI locally, ``wasbs://`` in Azure; None: the server's
    default). ``auth``: the Entra token every request to a tracking server carries."""

    def __init__(
        self,
        tracking_uri: str | Callable[[], str],
        *,
        artifact_location: str | None = None,
        auth: EntraBearerAuth | None = None,
    ) -> None:
        self._uri = tracking_uri
        self._artifacts = artifact_location
        self._auth = auth
        self._client: MlflowClient | None = None
        self._lock = threading.Lock()

    # --- the client, errors ------------------------------------------------------------------
    def _mlflow(self) -> MlflowClient:
        with self._lock:
            if self._client is None:
                from mlflow import MlflowClient

                if self._auth is not None:
                    from shared.adapters.registry.entra_auth import install

                    install(self._auth)
                uri = self._uri if isinstance(self._uri, str) else self._uri()
                self._client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            return self._client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args)`` with MLflow's errors as domain errors."""
        from mlflow.exceptions import MlflowException

        try:
            return fn(*args, **kwargs)
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise NotFound(f"{what}: not found", code="model-not-found") from exc
            raise Unavailable(f"model registry: {what} failed ({exc.error_code})") from exc
        except OSError as exc:
            raise Unavailable(f"model registry unreachable: {what}") from exc

    # --- versions --------------------------------------------------------------------------------
    def register(
        self, name: str, spec: ModelSpec, *, description: str, created_by: str
    ) -> ModelVersion:
        validate_model_name(name)
        client = self._mlflow()
        if not self._exists(name):
            self._call(f"create model {name}", client.create_registered_model, name)
        made = self._call(
            f"register {name}",
            client.create_model_version,
            name,
            source=f"spec://{name}",  # the spec is the version's tag: no artifact
            tags={_SPEC: spec.to_json(), "created_by": created_by},
            description=description,
        )
        return self._version(made)

    def _exists(self, name: str) -> bool:
        try:
            self._call(f"model {name}", self._mlflow().get_registered_model, name)
        except NotFound:
            return False
        return True

    def get(self, name: str, version: int) -> ModelVersion:
        made = self._call(
            f"version {version} of {name}", self._mlflow().get_model_version, name, str(version)
        )
        return self._version(made)

    def names(self) -> list[str]:
        client, found, token = self._mlflow(), [], None
        while True:
            page = self._call(
                "models", client.search_registered_models, max_results=1000, page_token=token
            )
            found += [str(m.name) for m in page]
            token = page.token
            if not token:
                return sorted(found)

    def versions(self, name: str) -> list[ModelVersion]:
        validate_model_name(name)
        found = self._call(
            f"versions of {name}", self._mlflow().search_model_versions, f"name = '{name}'"
        )
        # A search leaves out the versions' aliases: read each version for them.
        return [self.get(name, n) for n in sorted(int(v.version) for v in found)]

    def resolve(self, name: str, alias: str, tenant: str | None = None) -> ModelVersion:
        validate_model_name(name)
        client = self._mlflow()
        # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE: look the aliases up on
        # the registered model instead (one call covers the tenant's and the global one).
        model = self._call(f"model {name}", client.get_registered_model, name)
        aliases = {str(k): int(v) for k, v in (model.aliases or {}).items()}
        for candidate in ([_alias(alias, tenant)] if tenant else []) + [_alias(alias, None)]:
            if candidate in aliases:
                return self.get(name, aliases[candidate])
        raise NotFound(f"model {name!r} has no alias {alias!r}", code="model-alias-not-found")

    def set_alias(self, name: str, alias: str, version: int, tenant: str | None = None) -> None:
        self.get(name, version)
        self._call(
            f"alias {alias} of {name}",
            self._mlflow().set_registered_model_alias,
            name,
            _alias(alias, tenant),
            str(version),
        )

    def set_tag(self, name: str, version: int, key: str, value: str) -> None:
        self._call(
            f"tag version {version} of {name}",
            self._mlflow().set_model_version_tag,
            name,
            str(version),
            key,
            value,
        )

    @staticmethod
    def _version(found: Any) -> ModelVersion:
        tags = dict(found.tags or {})
        spec = ModelSpec.from_dict(json.loads(tags.pop(_SPEC)))
        aliases = [str(a) for a in (found.aliases or [])]
        tenant_aliases = sorted(
            (a.split(_TENANT_SEP, 1)[1], a.split(_TENANT_SEP, 1)[0])
            for a in aliases
            if _TENANT_SEP in a
        )
        return ModelVersion(
            name=found.name,
            version=int(found.version),
            spec=spec,
            description=found.description or "",
            created_by=tags.pop("created_by", ""),
            created_at=str(found.creation_timestamp or ""),
            aliases=tuple(sorted(a for a in aliases if _TENANT_SEP not in a)),
            tenant_aliases=tuple(tenant_aliases),
            tags=tags,
        )

    # --- evaluations ---------------------------------------------------------------------------
    def _experiment(self, name: str) -> str:
        client = self._mlflow()
        title = f"eval/{name}"
        found = self._call(f"experiment {title}", client.get_experiment_by_name, title)
        if found is not None:
            return str(found.experiment_id)
        return str(
            self._call(
                f"create experiment {title}",
                client.create_experiment,
                title,
                artifact_location=self._artifacts,
            )
        )

    def log_evaluation(self, name: str, version: int, result: EvaluationResult) -> EvaluationResult:
        self.get(name, version)
        client = self._mlflow()
        tags = {
            "model.name": name,
            "model.version": str(version),
            "suite": result.suite,
            "suite.version": result.suite_version,
        }
        run = self._call("start run", client.create_run, self._experiment(name), tags=tags)
        run_id = run.info.run_id
        for key, value in result.metrics().items():
            self._call(f"log {key}", client.log_metric, run_id, key, value)
        if result.details:
            self._call("log details", client.log_dict, run_id, list(result.details), "tasks.json")
        self._call("end run", client.set_terminated, run_id)
        self.set_tag(name, version, "evaluation.last_run", run_id)
        return EvaluationResult(**{**result.__dict__, "run_id": run_id})

    def evaluations(self, name: str, version: int) -> list[EvaluationResult]:
        self.get(name, version)
        client = self._mlflow()
        runs = self._call(
            "search runs",
            client.search_runs,
            [self._experiment(name)],
            filter_string=f"tags.`model.version` = '{version}'",
            order_by=["attributes.start_time ASC"],
        )
        return [_evaluation(run) for run in runs]


def _evaluation(run: Any) -> EvaluationResult:
    m, t = run.data.metrics, run.data.tags
    return EvaluationResult(
        suite=t.get("suite", ""),
        suite_version=t.get("suite.version", ""),
        tasks=int(m.get("tasks", 0)),
        resolved=m.get("resolved", 0.0),
        applied=m.get("applied", 0.0),
        well_formed=m.get("well_formed", 0.0),
        tokens=int(m.get("tokens", 0)),
        cost_usd=Decimal(str(m.get("cost_usd", 0))),
        latency_ms=int(m.get("latency_ms", 0)),
        run_id=run.info.run_id,
    )
