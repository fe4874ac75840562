"""Model cards, generated from the registry, the evaluation runs, the promotion record and what
is known of the provider. JSON for machines, Markdown for people; the same sections in both.

A card shows global aliases and only the asking tenant's own aliases: which versions other
tenants pinned is theirs to know.
"""

from __future__ import annotations

from typing import Any

from shared.domain.llm import ProviderKind
from shared.domain.models import ModelRef, ModelVersion, Promotion
from shared.ports.registry import ModelRegistry, PromotionLog
from shared.services.models.catalog import evaluation_view, promotion_view, spec_view

SECTIONS = (
    "model_details",
    "intended_use",
    "out_of_scope_uses",
    "data_statement",
    "evaluation_results",
    "limitations",
    "risks",
    "approvals",
    "version_history",
)

_DATA = {
    ProviderKind.OLLAMA: "Open-weights model served by the platform's own Ollama; prompts stay "
    "inside the deployment.",
    ProviderKind.OPENAI: "Hosted by OpenAI; prompts (secrets redacted) leave the deployment.",
    ProviderKind.AZURE_OPENAI: "Hosted by Azure OpenAI in the platform's subscription; prompts "
    "(secrets redacted) stay within Azure.",
    ProviderKind.ANTHROPIC: "Hosted by Anthropic; prompts (secrets redacted) leave the deployment.",
    ProviderKind.SCRIPTED: "Recorded answers replayed offline: no model is called. For demos "
    "and tests only; every result is flagged 'scripted'.",
}


class ModelCards:
    def __init__(self, registry: ModelRegistry, promotions: PromotionLog) -> None:
        self._registry = registry
        self._promotions = promotions

    def version_for(self, reference: str, tenant: str | None = None) -> ModelVersion:
        """``NAME``, ``NAME@ALIAS`` or ``NAME/VERSION`` (and their ``models:/`` forms)."""
        ref = ModelRef.parse(reference)
        if ref.version is not None:
            return self._registry.get(ref.name, ref.version)
        assert ref.alias is not None
        return self._registry.resolve(ref.name, ref.alias, tenant)

    def card(self, name: str, version: int, tenant: str | None = None) -> dict[str, Any]:
        found = self._registry.get(name, version)
        spec = found.spec
        evaluations = self._registry.evaluations(name, version)
        steps = self._promotions.history(name, version)
        history = self._promotions.history(name)
        return {
            "name": name,
            "version": version,
            "uri": found.uri,
            "model_details": {
                **spec_view(spec),
                "parameters": spec.parameters,
                "description": found.description,
                "registered_by": found.created_by,
                "aliases": list(found.aliases),
                "tenant_aliases": [a for t, a in found.tenant_aliases if t == tenant],
            },
            "intended_use": "Proposing source-code patches for issues and review comments in "
            "repositories connected to the platform, as pull requests that humans review and "
            "the platform's policy (paths, size, secrets, checks) gates.",
            "out_of_scope_uses": [
                "Merging without human review, or bypassing the patch policy.",
                "Changes to secrets, credentials, CI pipelines or infrastructure the tenant's "
                "policy marks sensitive.",
                "Deciding on security fixes without a maintainer's review.",
                "Any use outside code changes (advice, decisions about people).",
            ],
            "data_statement": _DATA[spec.provider]
            + " Prompts hold the task's text and ranked repository files, with secrets "
            "replaced by placeholders before sending.",
            "evaluation_results": [evaluation_view(e) for e in evaluations],
            "limitations": [
                "Evaluated on a small offline suite of injected bugs in pure-Python projects; "
                "other languages and larger changes are not measured.",
                "Context is limited to the ranked files that fit the token budget.",
            ],
            "risks": [
                "A plausible but wrong patch: mitigated by the repository's checks in the "
                "sandbox and human approval.",
                "Prompt injection from issue text or repository files: the model's output is "
                "treated as untrusted and policy-checked.",
            ],
            "approvals": [_step(s) for s in steps if s.tenant in (None, tenant)],
            "version_history": [
                _step(s)
                for s in history
                if s.tenant in (None, tenant) and s.action in ("approved", "rolled-back")
            ],
        }


def _step(step: Promotion) -> dict[str, Any]:
    """The admin API's view of a step as a card shows it: without the model (the card's own)
    and the gate's verdict, ``at`` as recorded."""
    view = promotion_view(step)
    del view["model"], view["gate"]
    return {**view, "at": step.occurred_at}


def card_markdown(card: dict[str, Any]) -> str:
    """The card as Markdown; every section of ``SECTIONS`` under its own heading."""
    d = card["model_details"]
    lines = [f"# Model card: {card['name']} version {card['version']}", ""]
    lines += ["## Model details", ""]
    lines += [f"- **{k.replace('_', ' ')}**: `{v}`" for k, v in d.items() if v not in (None, "")]
    lines += ["", "## Intended use", "", card["intended_use"], ""]
    lines += ["## Out-of-scope uses", "", *[f"- {u}" for u in card["out_of_scope_uses"]], ""]
    lines += ["## Data statement", "", card["data_statement"], ""]
    lines += ["## Evaluation results", ""]
    if card["evaluation_results"]:
        lines += [
            "| suite | version | tasks | resolved | applied | well-formed | tokens | cost USD "
            "| latency ms | run |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {e['suite']} | {e['suite_version']} | {e['tasks']:.0f} | {e['resolved']:.0%} "
            f"| {e['applied']:.0%} | {e['well_formed']:.0%} | {e['tokens']:.0f} "
            f"| {e['cost_usd']:.4f} | {e['latency_ms']:.0f} | {e['run_id']} |"
            for e in card["evaluation_results"]
        ]
    else:
        lines.append("Not evaluated.")
    lines += ["", "## Limitations", "", *[f"- {x}" for x in card["limitations"]], ""]
    lines += ["## Risks", "", *[f"- {x}" for x in card["risks"]], ""]
    for title, key in (("Approvals", "approvals"), ("Version history", "version_history")):
        lines += [f"## {title}", ""]
        lines += [
            f"- {s['at']}: {s['action']} version {s['version']} as {s['alias']}"
            f"{' for ' + s['tenant'] if s['tenant'] else ''} by {s['actor']}"
            f"{' (' + s['reason'] + ')' if s['reason'] else ''}"
            for s in card[key]
        ] or ["None."]
        lines.append("")
    return "\n".join(lines)
