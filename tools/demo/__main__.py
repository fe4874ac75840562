"""``make demo``: the main job end to end on devhost, on embedded defaults.

Starts devhost (embedded PostgreSQL, development OIDC issuer) with the unmodified app, provisions
a demo tenant with a local_git repository holding a small Python project with a bug and a failing
test, posts a signed GitHub ``issue_comment`` webhook asking the agent to fix it, shows each step,
approves through the API with a token from the development issuer, and prints the pull request
(branch, diff, check result), the lineage and the audit-chain verification. It prints the
browser console's URL for the task; with ``--console`` it waits for the decision to be taken
there (sign in as the approver) and keeps devhost up afterwards until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from shared.adapters.scm.local_git import repository_path
from tools.demo.scenario import (
    APPROVER,
    COMMAND,
    RECORDINGS,
    REPOSITORY,
    encode,
    issue_comment,
    prepare_tenant,
    signed_headers,
)

ROOT = Path(__file__).resolve().parents[2]
TENANT = "demo"


def say(text: str = "") -> None:
    print(text, flush=True)


def call(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _json(exc.read())


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def llm_routes() -> tuple[list[dict[str, Any]], str]:
    """The configured LLM, or the scripted provider with the reason why."""
    host = os.environ.get("OLLAMA_HOST")
    if host:
        try:
            with urllib.request.urlopen(host.rstrip("/") + "/api/tags", timeout=3):
                model = os.environ.get("OLLAMA_MODEL", "qwen2.5-coder:7b")
                return [{"provider": "ollama", "model": model}], f"Ollama at {host} ({model})"
        except OSError as exc:
            say(f"! OLLAMA_HOST={host} is not reachable ({exc}).")
    if os.environ.get("AZURE_OPENAI_ENDPOINT") and os.environ.get("AZURE_OPENAI_DEPLOYMENT"):
        return [], "Azure OpenAI (" + os.environ["AZURE_OPENAI_DEPLOYMENT"] + ")"
    if os.environ.get("OPENAI_API_KEY"):
        return [], "OpenAI"
    if os.environ.get("ANTHROPIC_API_KEY"):
        return [], "Anthropic"
    say(
        "! No LLM is reachable: OLLAMA_HOST is unset or down and no OPENAI_API_KEY, "
        "AZURE_OPENAI_* or ANTHROPIC_API_KEY is set."
    )
    say("! Using the SCRIPTED provider with a recorded answer (tools/demo/recordings/demo.yaml);")
    say("! the run is flagged as scripted in its status, lineage and PR.")
    return [{"provider": "scripted", "model": "demo"}], "scripted (recorded answer)"


def start_devhost(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (ROOT / ".devhost" / "demo-devhost.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "devhost", "start", "--app", str(ROOT), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(
                    f"devhost exited ({process.returncode}); see .devhost/demo-devhost.log"
                )
            try:
                code, health = call(base, "GET", "/api/health", timeout=2)
                if code == 200:
                    say(f"✓ devhost is up at {base}; /api/health: {json.dumps(health)}")
                    return process
            except OSError:
                pass
            time.sleep(0.3)
    except BaseException:
        process.kill()
        raise
    process.kill()
    raise SystemExit("devhost did not become healthy in 90 s; see .devhost/demo-devhost.log")


def follow(base: str, task_id: str, stop_steps: set[str], timeout: float = 300) -> dict[str, Any]:
    seen: str | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, status = call(base, "GET", f"/runtime/webhooks/durabletask/instances/{task_id}")
        step = (status.get("customStatus") or {}).get("step")
        label = json.dumps(status.get("customStatus"))
        if label != seen:
            say(f"  · {status['runtimeStatus']:<9} {label}")
            seen = label
        if step in stop_steps or status["runtimeStatus"] in ("Completed", "Failed", "Terminated"):
            return dict(status)
        time.sleep(0.2)
    raise SystemExit(f"task {task_id} did not progress in {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument(
        "--console", action="store_true", help="approve in the browser console, not via the API"
    )
    args = parser.parse_args()
    port = args.port
    base = f"http://127.0.0.1:{port}"

    from devhost.embedded_pg import DEFAULT_PG_DIR, embedded_logins
    from shared.bootstrap import Container
    from shared.config import load_settings

    say("AI Code Agent demo: a GitHub comment becomes an approved, audited pull request.\n")
    database_url, where = os.environ.get("DATABASE_URL"), "DATABASE_URL"
    admin_url = os.environ.get("DATABASE_ADMIN_URL", "")
    if not database_url:
        logins, where = embedded_logins(ROOT / DEFAULT_PG_DIR), "embedded"
        database_url, admin_url = logins.app_url, logins.admin_url
    app_settings = {
        "DATABASE_URL": database_url,
        "DATABASE_ADMIN_URL": admin_url,
        "DEV_OIDC_ENABLED": "true",
        "ENTRA_AUTHORITY": f"{base}/dev-oidc",
        "PUBLIC_BASE_URL": base,
        "LLM_RECORDINGS_DIR": str(RECORDINGS),
    }
    routes, llm = llm_routes()
    app = Container(load_settings(ROOT, **{k.lower(): v for k, v in app_settings.items()}))
    applied = app.tenants.migrate()
    say(f"✓ PostgreSQL ready ({where}); {len(applied)} migration(s) applied")
    env = {**os.environ, **app_settings}
    devhost = start_devhost(port, env)
    try:
        outcome = run(base, app, routes, llm, in_console=args.console)
        if args.console:
            say(f"\ndevhost stays up for the console at {base}/api/console/ (Ctrl-C stops it)")
            with contextlib.suppress(KeyboardInterrupt):
                devhost.wait()
        return outcome
    finally:
        devhost.terminate()
        devhost.wait(15)


def run(
    base: str, app: Any, routes: list[dict[str, Any]], llm: str, *, in_console: bool = False
) -> int:
    tenant = prepare_tenant(app, TENANT, llm_routes=routes)
    say(
        f"✓ tenant '{tenant.slug}' with local_git repository {REPOSITORY} "
        f"(issue #{tenant.issue_number}: tests/test_stats.py fails); LLM: {llm}"
    )
    payload = encode(issue_comment(REPOSITORY, tenant.issue_number, COMMAND))
    say(f"\n→ POST /api/webhooks/github/{tenant.slug}  (signed issue_comment: {COMMAND!r})")
    code, accepted = call(
        base,
        "POST",
        f"/api/webhooks/github/{tenant.slug}",
        payload,
        signed_headers(payload, tenant.webhook_secret),
    )
    if code != 202:
        say(f"✗ webhook answered {code}: {accepted}")
        return 1
    task_id = accepted["id"]
    say(f"← 202 task {task_id}\n")
    status = follow(base, task_id, {"awaiting-approval"})
    waiting = (status.get("customStatus") or {}).get("step") == "awaiting-approval"
    say(
        f"\nReview it in the browser console: {base}/api/console/#/{tenant.slug}/tasks/{task_id}"
        f"\n  (sign in as {APPROVER} with the Approver role on the development issuer's page)"
    )
    if waiting and in_console:
        say("  waiting for your decision in the console…")
        status = follow(base, task_id, set(), timeout=3600)
    elif waiting:
        _, token = call(
            f"{base}/dev-oidc/{tenant.directory_id}/v2.0",
            "POST",
            "/token",
            encode(
                {
                    "username": APPROVER,
                    "audience": app.settings.entra_audience,
                    "roles": ["Approver"],
                }
            ),
            {"Content-Type": "application/json"},
        )
        auth = {
            "Authorization": f"Bearer {token['access_token']}",
            "Content-Type": "application/json",
        }
        code, _ = call(
            base,
            "POST",
            f"/api/tenants/{tenant.slug}/tasks/{task_id}/approval",
            encode({"decision": "approve", "comment": "demo approval"}),
            auth,
        )
        say(
            f"\n→ {APPROVER} approves through the API (Entra-style token from the dev issuer): "
            f"{code}\n"
        )
        status = follow(base, task_id, set())
    return report(base, app, tenant, task_id, status)


def report(base: str, app: Any, tenant: Any, task_id: str, status: dict[str, Any]) -> int:
    output = status.get("output") or {}
    if not isinstance(output, dict):  # a failed orchestration's output is its error message
        output = {"error": output}
    say(f"\n=== outcome: {output.get('outcome', status['runtimeStatus'])} ===")
    if output.get("outcome") != "completed":
        say(json.dumps(output, indent=2))
        return 1
    pr = output["pr"]
    bare = repository_path(app.scm.local_git_root(tenant.slug), REPOSITORY)
    diff = subprocess.run(
        ["git", "-C", str(bare), "diff", "main", pr["branch"]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    say(f"Pull request #{pr['number']}  {pr['url']}\nbranch {pr['branch']} (commit {pr['commit']})")
    say(diff)
    from shared.adapters.store.postgres.tasks import get_task

    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        lineage = get_task(tx, task_id).lineage
    check = lineage["attempts"][-1].get("check") or {}
    state = check.get("state", "unchecked")
    say(f"check: `{check.get('command')}` → {state} {check.get('detail') or ''}".rstrip())
    shown = {k: v for k, v in lineage.items() if k != "plan"}
    say("\nlineage (the plan left out):\n" + json.dumps(shown, indent=2, default=str))
    chain = app.audit.verify_chain(tenant.slug)
    say(
        f"\naudit chain of tenant '{tenant.slug}': "
        f"{'verified' if chain.ok else 'BROKEN at ' + str(chain.broken_at)} "
        f"({chain.checked} events)"
    )
    from devhost.telemetry import SPANS_FILE
    from tools.trace.tree import show

    say(f"\nthe task's spans, as operators see them (python -m tools.trace {task_id}):")
    spans = app.settings.telemetry_spans_file or ROOT / app.settings.data_dir / SPANS_FILE
    show(task_id, spans, sys.stdout)
    return 0 if chain.ok else 1


if __name__ == "__main__":
    sys.exit(main())
