"""``PatchFlowDeps`` for tests of the validation step alone, which reads only the connection, the
checkout, the sandbox and its folders: every other dependency is absent, so a use would fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from shared.domain.scm import ScmConnection
from shared.ports.checkout import RepositoryCheckout
from shared.ports.sandbox import NetworkPolicy, Sandbox
from shared.services.patch_flow.deps import PatchFlowDeps


def validation_deps(
    tmp_path: Path,
    *,
    connection: ScmConnection | None,
    checkout_for: Callable[[ScmConnection], RepositoryCheckout],
    sandbox: Sandbox,
    setup_network: NetworkPolicy = NetworkPolicy.SETUP,
) -> PatchFlowDeps:
    absent: Any = None
    return PatchFlowDeps(
        tasks=absent,
        tenants=absent,
        audit=absent,
        approvals=absent,
        connections=SimpleNamespace(get=lambda *_: connection),  # type: ignore[arg-type]
        access=absent,
        scm_for=absent,
        llm=absent,
        work_dir=tmp_path / "work",
        public_base_url="http://localhost",
        slots=absent,
        slot_retry_s=1.0,
        checkout_for=checkout_for,
        sandbox=sandbox,
        dependency_cache_dir=tmp_path / "cache",
        setup_network=setup_network,
    )
