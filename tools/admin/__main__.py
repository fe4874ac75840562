"""``python -m tools.admin``: operate the platform's database from a shell.

    migrate                         apply pending platform and tenant migrations
    tenants list
    tenants provision SLUG [--name NAME]
    tenants disable|enable SLUG
    tenants deprovision SLUG --yes  refused while the tenant has active tasks
    audit verify SLUG               exit 1 and name the first broken link if tampered with
    audit export SLUG [--out FILE]  the chain as JSON Lines
    dead-letters [SLUG]             tasks the reconciler gave up on, per tenant
    identities list SLUG            the tenant's SCM user <-> Entra object id links
    identities link SLUG PROVIDER SCM_USER OBJECT_ID
    identities unlink SLUG PROVIDER SCM_USER
    models list|register|evaluate|promote|card   the model registry (see tools/admin/models.py)
    roles list|assign|revoke SLUG [OBJECT_ID ROLE]   per-tenant role assignments
    tasks list SLUG [--status S] [--requester U]     newest first (JSON Lines)
    usage SLUG                      per-day tokens, cost, tasks by outcome, lead time (JSON)
    quotas show SLUG | quotas set SLUG --FIELD VALUE...   quotas and budgets
    webhook-secret rotate SLUG PROVIDER [--overlap-seconds N]   prints the new secret once

The last five call the admin API's own services (``shared.services.admin``); changes are
audited with the operator as the principal.

Settings come from the environment and ``local.settings.json`` as for the app (``DATABASE_URL``
and ``DATABASE_ADMIN_URL``, or ``POSTGRES_HOST``); with neither, the embedded server under
``.devhost/pg`` that devhost uses. Errors are one line on stderr and exit status 2; nothing
half-done.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.api.tenant_models import Quotas
from shared.bootstrap import Container
from shared.config import Settings, load_settings
from shared.domain.errors import DomainError
from shared.domain.tenant import TenantStatus
from shared.ports.admin import TaskFilter
from shared.services.admin.access import OPERATOR
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.models.registration import ensure_default_champion
from tools.admin import models

QUOTA_FIELDS = tuple(Quotas.model_fields)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending migrations")
    tenants = commands.add_parser("tenants").add_subparsers(dest="action", required=True)
    tenants.add_parser("list")
    provision = tenants.add_parser("provision")
    provision.add_argument("slug")
    provision.add_argument("--name")
    for action in ("disable", "enable"):
        tenants.add_parser(action).add_argument("slug")
    deprovision = tenants.add_parser("deprovision")
    deprovision.add_argument("slug")
    deprovision.add_argument("--yes", action="store_true", help="really delete its data")
    audit = commands.add_parser("audit").add_subparsers(dest="action", required=True)
    audit.add_parser("verify").add_argument("slug")
    export = audit.add_parser("export")
    export.add_argument("slug")
    export.add_argument("--out", type=Path)
    commands.add_parser("dead-letters").add_argument("slug", nargs="?")
    identities = commands.add_parser("identities").add_subparsers(dest="action", required=True)
    identities.add_parser("list").add_argument("slug")
    for action, names in (
        ("link", ("slug", "provider", "scm_user", "object_id")),
        ("unlink", ("slug", "provider", "scm_user")),
    ):
        change = identities.add_parser(action)
        for name in names:
            change.add_argument(name)
    models.add_parser(commands)
    _admin_commands(commands)
    return parser


def _admin_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roles = commands.add_parser("roles").add_subparsers(dest="action", required=True)
    roles.add_parser("list").add_argument("slug")
    for action in ("assign", "revoke"):
        change = roles.add_parser(action)
        for name in ("slug", "object_id", "role"):
            change.add_argument(name)
    tasks = commands.add_parser("tasks").add_subparsers(dest="action", required=True)
    listing = tasks.add_parser("list")
    listing.add_argument("slug")
    listing.add_argument("--status")
    listing.add_argument("--requester")
    listing.add_argument("--limit", type=int, default=50)
    commands.add_parser("usage").add_argument("slug")
    quotas = commands.add_parser("quotas").add_subparsers(dest="action", required=True)
    quotas.add_parser("show").add_argument("slug")
    setting = quotas.add_parser("set")
    setting.add_argument("slug")
    for name in QUOTA_FIELDS:
        setting.add_argument(f"--{name.replace('_', '-')}", type=float)
    secret = commands.add_parser("webhook-secret").add_subparsers(dest="action", required=True)
    rotate = secret.add_parser("rotate")
    rotate.add_argument("slug")
    rotate.add_argument("provider", choices=["github", "gitlab", "azure-devops"])
    rotate.add_argument("--overlap-seconds", type=int, default=3600)


def run(app: Container, args: argparse.Namespace) -> int:
    if args.command in ("migrate", "models"):
        return _migrate(app) if args.command == "migrate" else models.run(app, args)
    if args.command == "tenants":
        return _tenants(app, args)
    if args.command == "dead-letters":
        for slug, count in app.reconciler.dead_letters(args.slug).items():
            print(f"{slug}\t{count}")
        return 0
    if args.command == "identities":
        return _identities(app, args)
    if args.command in ("roles", "tasks", "usage", "quotas", "webhook-secret"):
        return _admin(app, args)
    return _audit(app, args)


def _migrate(app: Container) -> int:
    """Pending migrations; then, on a registry without ``patch-generator``, the platform's
    default route (the configured provider, or the scripted one) as its champion."""
    applied = app.tenants.migrate()
    print("\n".join(applied) if applied else "nothing to apply")
    if app.has_model_registry:
        default = app.llm_providers.default_routes()[0]
        made = ensure_default_champion(
            app.model_registry, app.model_promotions, default, PromptLibrary()
        )
        if made is not None:
            print(f"registered {made.uri} ({default.label}) as champion")
    return 0


def _tenants(app: Container, args: argparse.Namespace) -> int:
    if args.action == "list":
        for tenant in app.tenants.list():
            print(f"{tenant.slug}\t{tenant.status}\t{tenant.display_name}")
    elif args.action == "provision":
        tenant = app.tenants.provision(args.slug, args.name or args.slug)
        print(f"provisioned {tenant.slug} (database {app.tenants.locate(tenant.slug).database})")
    elif args.action in ("disable", "enable"):
        status = TenantStatus.DISABLED if args.action == "disable" else TenantStatus.ACTIVE
        print(f"{app.admin.platform.set_status(args.slug, status, OPERATOR)['slug']}: {status}")
    elif not args.yes:
        print("deprovision drops the tenant's database, role and data: add --yes", file=sys.stderr)
        return 2
    else:
        app.admin.platform.deprovision(args.slug, OPERATOR)
        print(f"deprovisioned {args.slug}")
    return 0


def _audit(app: Container, args: argparse.Namespace) -> int:
    if args.action == "verify":
        result = app.audit.verify_chain(args.slug)
        if result.ok:
            print(f"{args.slug}: audit chain verified ({result.checked} events)")
            return 0
        print(f"{args.slug}: audit chain BROKEN at event {result.broken_at}: {result.reason}")
        return 1
    lines = app.audit.export(args.slug)
    if args.out is None:
        for line in lines:
            print(line)
    else:
        with args.out.open("w", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in lines)
    return 0


def _identities(app: Container, args: argparse.Namespace) -> int:
    """Links are audited in the tenant's chain, with the operator as the actor."""
    if args.action == "list":
        for link in app.identities.list(args.slug, None):
            print(f"{link['provider']}\t{link['scm_user']}\t{link['object_id']}")
    elif args.action == "link":
        body = {"object_id": args.object_id}
        made = app.identities.link(args.slug, None, args.provider, args.scm_user, body)
        print(f"linked {made['provider']}:{made['scm_user']} to {made['object_id']}")
    else:
        app.identities.unlink(args.slug, None, args.provider, args.scm_user)
        print(f"unlinked {args.provider}:{args.scm_user}")
    return 0


def _admin(app: Container, args: argparse.Namespace) -> int:
    admin, slug = app.admin, args.slug
    if args.command == "roles":
        if args.action == "list":
            for row in admin.access.role_assignments(slug):
                print(f"{row['object_id']}\t{row['role']}\t{row['assigned_by']}")
        elif args.action == "assign":
            admin.access.assign_role(slug, args.object_id, args.role, OPERATOR)
        else:
            admin.access.revoke_role(slug, args.object_id, args.role, OPERATOR)
    elif args.command == "tasks":
        where = TaskFilter(status=args.status, requester=args.requester)
        for task in admin.tasks.list(slug, where, None, args.limit)["items"]:
            print(json.dumps(task, default=str))
    elif args.command == "usage":
        print(json.dumps(admin.usage.per_day(slug, None, None), indent=2))
    elif args.command == "quotas":
        current, version = admin.platform.quotas(slug)
        if args.action == "set":
            changes = {k: getattr(args, k) for k in QUOTA_FIELDS if getattr(args, k) is not None}
            wanted = {k: type(current[k])(v) for k, v in {**current, **changes}.items()}
            current, _ = admin.platform.set_quotas(slug, wanted, version, OPERATOR)
        print(json.dumps(current, indent=2))
    else:
        rotated = admin.connections.rotate_webhook_secret(
            slug, args.provider, args.overlap_seconds, OPERATOR
        )
        until = rotated["previous_valid_until"]
        print(f"new {args.provider} webhook secret: {rotated['secret']}")
        print(f"the previous one is accepted until {until}" if until else "no overlap")
    return 0


def _settings() -> Settings:
    """The app's settings; without a database configured, devhost's embedded server."""
    settings = load_settings()
    if settings.database_url or settings.postgres_host:
        return settings
    from devhost.embedded_pg import DEFAULT_PG_DIR, embedded_logins

    logins = embedded_logins(Path.cwd() / DEFAULT_PG_DIR)
    return load_settings(database_url=logins.app_url, database_admin_url=logins.admin_url)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(Container(_settings()), args)
    except DomainError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
