"""Per-tenant trigger configuration, read from ``tenant.settings["triggers"]`` with defaults.

Keys (all optional)::

    "triggers": {
      "agent_label": "ai-agent",        # GitHub/GitLab label that hands an issue to the agent
      "agent_tag": "ai-agent",          # Azure DevOps work-item tag that does the same
      "command_prefix": "/agent",       # comment commands: "/agent fix <text>", ...
      "agent_accounts": [],             # more accounts of the agent's (loop prevention; the
                                        # connection's own account and marked comments need none)
      "denied_authors": [],             # never triggers, refused at intake
      "allowed_authors": [],            # when set, only these (and only with write access)
      "writer_groups": [],              # Azure DevOps groups whose members count as writers
      "refusal_reply_minutes": 10,      # at most one refusal reply per author in this window
      "allowed_approvers": [],          # who may "/agent approve|reject" (and cancel others' tasks)
      "allow_confidential": false,      # act on confidential GitLab issues and their notes
      "providers": ["github", "gitlab", "azure-devops"],   # enabled webhook providers
      "azure_devops_secret_header": "X-Agent-Webhook-Secret"
    }

Whatever the lists say, a command counts only from someone with write access to the repository
(checked by the patch flow's first activity; see ``shared.services.patch_flow.authorise``).

Account entries are matched case-insensitively, either bare (``"alice"``: any provider) or
qualified by provider (``"github:alice"``), because the same name may be different people on
different SCMs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import ConfigurationError
from shared.domain.task import Provider

WEBHOOK_PROVIDERS = frozenset({Provider.GITHUB, Provider.GITLAB, Provider.AZURE_DEVOPS})


def _accounts(entries: Iterable[str]) -> frozenset[str]:
    return frozenset(e.strip().casefold() for e in entries if e.strip())


@dataclass(frozen=True)
class TriggerRules:
    agent_label: str = "ai-agent"
    agent_tag: str = "ai-agent"
    command_prefix: str = "/agent"
    agent_accounts: frozenset[str] = frozenset()
    allowed_approvers: frozenset[str] = frozenset()
    denied_authors: frozenset[str] = frozenset()
    allowed_authors: frozenset[str] = frozenset()
    writer_groups: tuple[str, ...] = ()
    refusal_reply_minutes: int = 10
    allow_confidential: bool = False
    providers: frozenset[Provider] = WEBHOOK_PROVIDERS
    azure_devops_secret_header: str = "X-Agent-Webhook-Secret"  # noqa: S105 (a header name)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TriggerRules:
        """Rules from a tenant's settings; ``ConfigurationError`` names any invalid key."""
        raw = settings.get("triggers", {})
        if not isinstance(raw, Mapping):
            raise ConfigurationError("tenant setting 'triggers' must be an object")
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigurationError(f"unknown tenant trigger settings: {sorted(unknown)}")
        values: dict[str, Any] = {}
        for key in ("agent_label", "agent_tag", "command_prefix", "azure_devops_secret_header"):
            if key in raw:
                values[key] = _text(raw[key], key)
        for key in ("agent_accounts", "allowed_approvers", "denied_authors", "allowed_authors"):
            if key in raw:
                values[key] = _accounts(_texts(raw[key], key))
        if "writer_groups" in raw:
            values["writer_groups"] = tuple(_texts(raw["writer_groups"], "writer_groups"))
        if "refusal_reply_minutes" in raw:
            values["refusal_reply_minutes"] = _minutes(raw["refusal_reply_minutes"])
        if "allow_confidential" in raw:
            if not isinstance(raw["allow_confidential"], bool):
                raise ConfigurationError("triggers.allow_confidential must be true or false")
            values["allow_confidential"] = raw["allow_confidential"]
        if "providers" in raw:
            names = _texts(raw["providers"], "providers")
            try:
                values["providers"] = frozenset(Provider(n) for n in names)
            except ValueError as exc:
                raise ConfigurationError(f"triggers.providers: {exc}") from exc
        return cls(**values)

    def is_agent(self, provider: Provider, user: str) -> bool:
        """Whether ``user`` is one of the agent's own accounts (its events are never acted on)."""
        return _listed(self.agent_accounts, provider, user)

    def may_approve(self, provider: Provider, user: str) -> bool:
        return _listed(self.allowed_approvers, provider, user)

    def author_refusal(self, provider: Provider, user: str) -> str | None:
        """Why the tenant's own lists refuse ``user`` as a trigger (``None``: they do not)."""
        if _listed(self.denied_authors, provider, user):
            return "author-denied"
        if self.allowed_authors and not _listed(self.allowed_authors, provider, user):
            return "author-not-allowed"
        return None

    def label_matches(self, labels: Iterable[str]) -> bool:
        wanted = self.agent_label.casefold()
        return any(label.strip().casefold() == wanted for label in labels)

    def tag_matches(self, tags: Iterable[str]) -> bool:
        wanted = self.agent_tag.casefold()
        return any(tag.strip().casefold() == wanted for tag in tags)


def _listed(entries: frozenset[str], provider: Provider, user: str) -> bool:
    name = user.strip().casefold()
    return bool(name) and (name in entries or f"{provider.value}:{name}" in entries)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"triggers.{key} must be a non-empty string")
    return value.strip()


def _minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError("triggers.refusal_reply_minutes must be a positive integer")
    return value


def _texts(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"triggers.{key} must be a list of strings")
    return list(value)
