"""Azure resource names: deterministic, and inside each service's limits.

Globally unique names (storage accounts, Key Vault, PostgreSQL server, Function App) carry a short
hash of the stack's identity, so two stacks never collide and one stack always derives the same
names (a changed name would replace the resource). Tenant-derived names come from the tenant slug:
keep slugs stable; renaming one needs ``aliases``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Tenant slugs: the app's rule (^[a-z][a-z0-9-]{1,40}$) minus doubled or trailing dashes, which
# blob encryption scope names forbid.
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SLUG_LENGTHS = range(2, 42)
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,9}$")
ENVIRONMENT_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,7}$")

# Storage account: 3-24 lowercase letters and digits, globally unique.
STORAGE_ACCOUNT_PATTERN = re.compile(r"^[a-z0-9]{3,24}$")
# Key Vault: 3-24 letters, digits and dashes; starts with a letter, ends with a letter or digit,
# no consecutive dashes; globally unique.
KEY_VAULT_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
# Blob encryption scope: 3-63 lowercase letters, digits and single dashes between them.
ENCRYPTION_SCOPE_PATTERN = re.compile(r"^[a-z0-9](?:-?[a-z0-9]){2,62}$")
# PostgreSQL identifiers are truncated beyond 63 bytes; keep database names well inside.
DATABASE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# The app's tenant secret names (shared/ports/secrets.py).
SECRET_NAME_PATTERN = re.compile(r"^(?=.{1,80}$)[a-z0-9]+(-[a-z0-9]+)*$")
SUFFIX_LENGTH = 6


class InvalidName(ValueError):
    """A name breaks an Azure naming rule; raised before anything is sent to Azure."""


def validate_slug(slug: str) -> str:
    if not (isinstance(slug, str) and len(slug) in SLUG_LENGTHS and SLUG_PATTERN.fullmatch(slug)):
        raise InvalidName(
            f"invalid tenant slug {slug!r}: 2-41 lowercase letters, digits and single dashes, "
            "starting with a letter"
        )
    return slug


def check_storage_account_name(name: str) -> str:
    if not STORAGE_ACCOUNT_PATTERN.fullmatch(name):
        raise InvalidName(f"storage account name {name!r}: 3-24 lowercase letters and digits")
    return name


def check_key_vault_name(name: str) -> str:
    if not KEY_VAULT_PATTERN.fullmatch(name) or "--" in name:
        raise InvalidName(
            f"Key Vault name {name!r}: 3-24 letters, digits and single dashes, "
            "starting with a letter and ending with a letter or digit"
        )
    return name


def check_encryption_scope_name(name: str) -> str:
    if not ENCRYPTION_SCOPE_PATTERN.fullmatch(name):
        raise InvalidName(f"encryption scope name {name!r}: 3-63 of [a-z0-9] and single dashes")
    return name


def unique_suffix(*parts: str) -> str:
    """A short, stable hash of ``parts``: the same stack always gets the same suffix."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:SUFFIX_LENGTH]


@dataclass(frozen=True)
class Naming:
    """Names for one stack. ``seed`` identifies the stack (by default ``project/stack``)."""

    prefix: str
    environment: str
    location: str
    seed: str

    def __post_init__(self) -> None:
        if not PREFIX_PATTERN.fullmatch(self.prefix):
            raise InvalidName(f"name prefix {self.prefix!r}: ^[a-z][a-z0-9]{{1,9}}$")
        if not ENVIRONMENT_PATTERN.fullmatch(self.environment):
            raise InvalidName(f"environment {self.environment!r}: ^[a-z][a-z0-9]{{0,7}}$")

    @property
    def suffix(self) -> str:
        return unique_suffix(self.seed, self.prefix, self.environment, self.location)

    def regional(self, kind: str) -> str:
        """A readable name for a resource that is unique only inside its resource group."""
        return f"{kind}-{self.prefix}-{self.environment}"

    def global_name(self, kind: str) -> str:
        """A DNS-visible name (``*.azurewebsites.net``, ``*.postgres.database.azure.com``)."""
        return f"{kind}-{self.prefix}-{self.environment}-{self.suffix}"

    def storage_account(self, purpose: str) -> str:
        head = f"st{self.prefix}{self.environment}{purpose}"[: 24 - SUFFIX_LENGTH]
        return check_storage_account_name(head + self.suffix)

    def key_vault(self) -> str:
        head = f"kv-{self.prefix}{self.environment}"[: 24 - SUFFIX_LENGTH - 1]
        return check_key_vault_name(f"{head}-{self.suffix}")


def tenant_database_name(slug: str) -> str:
    name = "tenant_" + validate_slug(slug).replace("-", "_")
    if not DATABASE_PATTERN.fullmatch(name):
        raise InvalidName(f"database name {name!r} for tenant {slug!r}")
    return name


def tenant_key_name(slug: str) -> str:
    return f"tenant-{validate_slug(slug)}"


def tenant_encryption_scope_name(slug: str) -> str:
    return check_encryption_scope_name(f"tenant-{validate_slug(slug)}")


def tenant_secret_name(slug: str, name: str) -> str:
    """The app's Key Vault layout for a tenant's secret: ``<slug>--<name>`` (see the app's
    ``shared/adapters/secrets/keyvault.py``); ``name`` is dash-separated [a-z0-9] words."""
    if not SECRET_NAME_PATTERN.fullmatch(name):
        raise InvalidName(f"secret name {name!r}: dash-separated [a-z0-9] words, at most 80")
    return f"{validate_slug(slug)}--{name}"
