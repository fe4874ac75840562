"""Use cases see ports only: no module under shared/services imports an adapter (the
composition root, the shared/bootstrap package, chooses them)."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "shared" / "services"
FORBIDDEN = ("shared.adapters", "shared.bootstrap")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_services_import_no_adapter() -> None:
    modules = sorted(SERVICES.rglob("*.py"))
    assert modules, "no service modules found"
    offenders = {
        str(path.relative_to(SERVICES)): sorted(
            name for name in _imports(path) if name.startswith(FORBIDDEN)
        )
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}
