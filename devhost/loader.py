"""Loading an unmodified Python v2 Functions app the way the Python worker indexes it.

The worker imports ``function_app`` from the app folder, finds the one ``FunctionRegister``
(``func.FunctionApp`` / ``df.DFApp``) and calls ``get_functions()`` once (a second call fails on
"unique function name"). Each function's Python parameters must match its bindings: every
binding needs a parameter of the same name and every parameter needs a binding (``context`` may
be left unbound: it receives the invocation context). Mismatches fail the load with the worker's
wording, before any request is served.
"""

from __future__ import annotations

import enum
import importlib.util
import inspect
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func

from devhost.app_config import expand_settings

SCRIPT = "function_app.py"
CONTEXT_PARAM = "context"


class AppLoadError(Exception):
    """The app cannot be indexed; the message says which function and why."""


class FunctionKind(enum.Enum):
    HTTP = "http"
    ORCHESTRATOR = "orchestrator"
    ACTIVITY = "activity"
    ENTITY = "entity"
    TIMER = "timer"
    UNSUPPORTED = "unsupported"


_TRIGGER_KINDS = {
    "httpTrigger": FunctionKind.HTTP,
    "orchestrationTrigger": FunctionKind.ORCHESTRATOR,
    "activityTrigger": FunctionKind.ACTIVITY,
    "entityTrigger": FunctionKind.ENTITY,
    "timerTrigger": FunctionKind.TIMER,
}
# binding property that renames the durable function (else the function name is used)
_DURABLE_NAME_KEYS = {
    "orchestrationTrigger": "orchestration",
    "activityTrigger": "activity",
    "entityTrigger": "entityName",
}
_SERVED_BINDINGS = {"durableClient", "http"}


@dataclass(frozen=True)
class AppFunction:
    """One indexed function and what the host needs to call it."""

    name: str
    kind: FunctionKind
    trigger_type: str
    trigger_param: str
    durable_name: str
    route: str | None
    methods: tuple[str, ...] | None
    client_params: tuple[str, ...]
    wants_context: bool
    user_function: Callable[..., Any]
    unsupported_reason: str | None = None
    schedule: str | None = None  # timer triggers: NCRONTAB, ``%SETTING%`` expanded
    run_on_startup: bool = False

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.user_function)


@dataclass(frozen=True)
class LoadedApp:
    """The indexed app: its functions by kind and name."""

    app_dir: Path
    module: ModuleType
    functions: tuple[AppFunction, ...]

    def of_kind(self, kind: FunctionKind) -> list[AppFunction]:
        return [f for f in self.functions if f.kind is kind]

    def missing_message(self, kind: str, name: str) -> str | None:
        """The host's message for an unknown ``activity``/``orchestrator``/``entity`` function
        (``None`` when it exists), naming the known ones."""
        function_kind = FunctionKind(kind)
        if self.durable(function_kind, name) is not None:
            return None
        known = ", ".join(f"'{f.durable_name}'" for f in self.of_kind(function_kind)) or "(none)"
        return (
            f"The function '{name}' doesn't exist, is disabled, or is not an {kind} function. "
            f"Additional info: The following are the known {kind} functions: {known}."
        )

    def durable(self, kind: FunctionKind, name: str) -> AppFunction | None:
        """The orchestrator/activity/entity called ``name`` (case-insensitive, as the host)."""
        wanted = name.lower()
        for function in self.of_kind(kind):
            if function.durable_name.lower() == wanted:
                return function
        return None


def import_function_app(app_dir: Path) -> ModuleType:
    """Import ``function_app.py`` from ``app_dir`` as module ``function_app`` (fresh import)."""
    script = app_dir / SCRIPT
    if not script.is_file():
        raise AppLoadError(f"{app_dir}: no {SCRIPT} (not a Python v2 Functions app)")
    folder = str(app_dir.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules.pop("function_app", None)
    spec = importlib.util.spec_from_file_location("function_app", script)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"{script}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_app"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop("function_app", None)
        raise AppLoadError(f"{script}: import failed: {type(exc).__name__}: {exc}") from exc
    return module


def find_register(module: ModuleType) -> func.FunctionRegister:
    registers = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(registers) != 1:
        raise AppLoadError(
            f"function_app.py must define exactly one FunctionApp/DFApp, found {len(registers)}"
        )
    return registers[0]


def _check_parameters(name: str, user_function: Callable[..., Any], bound: set[str]) -> bool:
    params = set(inspect.signature(user_function).parameters)
    missing = bound - params
    if missing:
        raise AppLoadError(
            f"function {name!r}: the following parameters are declared in the bindings but not "
            f"in Python: {sorted(missing)}"
        )
    extra = params - bound - {CONTEXT_PARAM}
    if extra:
        raise AppLoadError(
            f"function {name!r}: the following parameters are declared in Python but not in "
            f"the bindings: {sorted(extra)}"
        )
    return CONTEXT_PARAM in params and CONTEXT_PARAM not in bound


def _methods(trigger: dict[str, Any]) -> tuple[str, ...] | None:
    methods = trigger.get("methods")
    if not methods:
        return None
    return tuple(str(m).split(".")[-1].upper() for m in methods)


def describe(function: func.Function) -> AppFunction:
    """Classify one indexed function and check its parameters against its bindings."""
    name = function.get_function_name() or function.get_user_function().__name__
    bindings = [json.loads(raw) for raw in function.get_raw_bindings()]
    trigger = next((b for b in bindings if str(b.get("type", "")).endswith("Trigger")), None)
    if trigger is None:
        raise AppLoadError(f"function {name!r} has no trigger")
    user_function = function.get_user_function()
    ins = {b["name"] for b in bindings if b.get("name") != "$return" and b["direction"] == "IN"}
    outs = [b for b in bindings if b.get("name") != "$return" and b["direction"] != "IN"]
    wants_context = _check_parameters(name, user_function, ins | {b["name"] for b in outs})
    kind = _TRIGGER_KINDS.get(trigger["type"], FunctionKind.UNSUPPORTED)
    unsupported = [b["type"] for b in bindings if b is not trigger]
    unsupported = [t for t in unsupported if t not in _SERVED_BINDINGS]
    reason = None
    if kind is FunctionKind.UNSUPPORTED:
        reason = f"trigger type {trigger['type']!r} is not supported by devhost"
    elif unsupported:
        reason = f"binding type(s) {sorted(set(unsupported))} not supported by devhost"
    durable_key = _DURABLE_NAME_KEYS.get(trigger["type"])
    return AppFunction(
        name=name,
        kind=FunctionKind.UNSUPPORTED if reason else kind,
        trigger_type=trigger["type"],
        trigger_param=trigger["name"],
        durable_name=(trigger.get(durable_key) if durable_key else None) or name,
        route=trigger.get("route") or (name if kind is FunctionKind.HTTP else None),
        methods=_methods(trigger),
        client_params=tuple(b["name"] for b in bindings if b.get("type") == "durableClient"),
        wants_context=wants_context,
        user_function=user_function,
        unsupported_reason=reason,
        schedule=expand_settings(str(trigger["schedule"]), os.environ)
        if "schedule" in trigger
        else None,
        run_on_startup=bool(trigger.get("runOnStartup", False)),
    )


def load_app(app_dir: Path) -> LoadedApp:
    """Import and index the app in ``app_dir`` (``get_functions`` is called exactly once)."""
    module = import_function_app(app_dir)
    register = find_register(module)
    try:
        functions = register.get_functions()
    except ValueError as exc:
        raise AppLoadError(f"function_app.py: {exc}") from exc
    return LoadedApp(app_dir, module, tuple(describe(f) for f in functions))
