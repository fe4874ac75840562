"""``python -m tools.redact [--tenant SLUG] FILE``: print FILE as the LLM would receive it.

Secrets are replaced by the placeholders the LLM hub would send (``shared.policies.secrets``).
Without ``--tenant`` they are keyed with a fixed local development key (the output is for the
person who holds the file; tenants never get this key). With ``--tenant`` they are keyed with
the tenant's own redaction key, through the app's composition root: settings from the
environment and ``local.settings.json``, PostgreSQL at ``DATABASE_URL`` or, like devhost, the
embedded server under ``.devhost/pg``. How many secrets, of which kinds, goes to stderr.
A missing file or an unknown tenant is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.domain.errors import DomainError
from shared.policies.secrets import redact

#: Keys placeholders when no tenant is named; public, so only ever for local inspection.
LOCAL_DEVELOPMENT_KEY = hashlib.sha256(b"tools.redact local development key").digest()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.redact", description=__doc__)
    parser.add_argument("--tenant", metavar="SLUG", help="key placeholders as for this tenant")
    parser.add_argument("file", type=Path)
    return parser


def tenant_key(slug: str) -> bytes:
    """The tenant's redaction key, as the app's LLM hub gets it (``TenantNotFound`` when the
    tenant does not exist)."""
    from shared.bootstrap import Container
    from shared.config import load_settings

    settings = load_settings()
    if not settings.database_url and not settings.postgres_host:
        from devhost.embedded_pg import embedded_database_url
        from devhost.server import DEFAULT_PG_DIR

        settings = load_settings(database_url=embedded_database_url(Path.cwd() / DEFAULT_PG_DIR))
    app = Container(settings)
    db = app.db
    try:
        app.tenants.get(slug)
        return app.llm.redaction_key(slug)
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        text = args.file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    except (IsADirectoryError, PermissionError) as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        key = LOCAL_DEVELOPMENT_KEY if args.tenant is None else tenant_key(args.tenant)
    except DomainError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    result = redact(text, key=key)
    sys.stdout.write(result.text)
    kinds = ", ".join(sorted(set(result.placeholders.values())))
    print(f"{result.count} secret(s) redacted{': ' + kinds if kinds else ''}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
