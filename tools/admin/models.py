"""``python -m tools.admin models ...``: the model registry from a shell.

    models list [NAME]
    models register --provider P --model M [--model-version D] [--edit-format F]
                    [--endpoint URL] [--description TEXT] --by NAME
    models evaluate NAME/VERSION [--suite DIR]     run the evaluation suite, log it to the version
    models promote NAME --rollback --by NAME [--tenant SLUG]          champion back one step
    models card NAME[@ALIAS|/VERSION] [--tenant SLUG] [--json]

The CLI produces evidence (versions, evaluations, cards); promotion is decided in the admin API
(``POST /api/models/{model}/versions/{version}/proposal`` and ``.../decision``), where proposer
and approver are Entra principals the directory vouches for. A shell holding the platform's
database credentials has no such identity (``--by`` is whatever the operator types), so it could
not keep one person from both proposing and approving: it neither proposes nor approves. It may
roll back — the break-glass step, which only returns ``champion`` to the version an earlier
approval replaced (never to one no one approved), recorded as the operator with ``--by``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.bootstrap import Container
from shared.domain.errors import InvalidInput
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import EDIT_FORMATS, LlmRoute
from shared.domain.models import PATCH_MODEL, EvaluationResult, ModelRef
from shared.services.admin.access import OPERATOR
from shared.services.llm_hub.pricing import PriceTable
from shared.services.llm_hub.prompts import PromptLibrary
from shared.services.models.cards import card_markdown
from shared.services.models.evaluation import Suite, evaluate
from shared.services.models.governance import PLATFORM_ADMIN, Actor
from shared.services.models.registration import spec_for

SUITE_DIR = Path(__file__).resolve().parents[1] / "model_eval" / "suite"


def add_parser(commands: Any) -> None:
    models = commands.add_parser("models").add_subparsers(dest="action", required=True)
    models.add_parser("list").add_argument("name", nargs="?", default=PATCH_MODEL)
    register = models.add_parser("register")
    register.add_argument("--name", default=PATCH_MODEL)
    register.add_argument("--provider", required=True, choices=[k.value for k in ProviderKind])
    register.add_argument("--model", required=True)
    register.add_argument("--model-version")
    register.add_argument("--edit-format", default="udiff", choices=EDIT_FORMATS)
    register.add_argument("--endpoint")
    register.add_argument("--description", default="")
    register.add_argument("--by", required=True)
    evaluate = models.add_parser("evaluate")
    evaluate.add_argument("ref")
    evaluate.add_argument("--suite", type=Path)
    promote = models.add_parser("promote")
    promote.add_argument("ref")
    promote.add_argument("--by", required=True)
    promote.add_argument("--tenant")
    promote.add_argument("--rollback", action="store_true")
    card = models.add_parser("card")
    card.add_argument("ref")
    card.add_argument("--tenant")
    card.add_argument("--json", action="store_true")


def evaluate_version(app: Container, name: str, version: int, suite_dir: Path) -> EvaluationResult:
    """Evaluate a registered version on the suite and log the run to it. Scripted versions read
    their recordings from the suite's ``recordings/``; live ones use the platform's keys."""
    found = app.model_registry.get(name, version)
    suite = Suite.load(suite_dir)
    settings = app.settings.model_copy(update={"llm_recordings_dir": suite_dir / "recordings"})
    provider = ConfiguredLlmProviders(settings).for_route("", found.spec.route(found.uri))
    prices = PriceTable.from_json(settings.llm_prices_json)
    result = evaluate(suite, provider, found.spec, PromptLibrary(), prices, sandbox=app.sandbox)
    return app.model_registry.log_evaluation(name, version, result)


def _version(ref: ModelRef) -> int:
    if ref.version is None:
        raise InvalidInput(f"name a version: {ref.name}/N", code="model-version-required")
    return ref.version


def run(app: Container, args: argparse.Namespace) -> int:
    registry = app.model_registry
    if args.action == "list":
        for v in registry.versions(args.name):
            aliases = [*v.aliases, *(f"{a}@{t}" for t, a in v.tenant_aliases)]
            spec = v.spec
            print(
                f"{v.uri}\t{spec.provider}/{spec.model}\t{spec.prompt}\t{spec.edit_format}"
                f"\t{','.join(aliases) or '-'}"
            )
    elif args.action == "register":
        route = LlmRoute(ProviderKind(args.provider), args.model, endpoint=args.endpoint)
        spec = spec_for(
            route,
            edit_format=args.edit_format,
            prompts=PromptLibrary(),
            model_version=args.model_version,
        )
        made = registry.register(args.name, spec, description=args.description, created_by=args.by)
        print(f"registered {made.uri}")
    elif args.action == "evaluate":
        ref = ModelRef.parse(args.ref)
        result = evaluate_version(app, ref.name, _version(ref), args.suite or SUITE_DIR)
        print(json.dumps({"run_id": result.run_id, **result.metrics()}, sort_keys=True))
    elif args.action == "promote":
        return _rollback(app, args)
    else:
        found = app.model_cards.version_for(args.ref, args.tenant)
        card = app.model_cards.card(found.name, found.version, args.tenant)
        print(json.dumps(card, indent=2, default=str) if args.json else card_markdown(card))
    return 0


def _rollback(app: Container, args: argparse.Namespace) -> int:
    ref = ModelRef.parse(args.ref)
    if not args.rollback:
        print(
            f"{ref.uri}: proposals and approvals go through the admin API "
            "(POST /api/models/{model}/versions/{version}/proposal, then .../decision by "
            "another PlatformAdmin); the CLI only rolls back (--rollback)",
            file=sys.stderr,
        )
        return 2
    actor = Actor(f"{OPERATOR.actor}: {args.by}", frozenset({PLATFORM_ADMIN}))
    step = app.model_governance.rollback(ref.name, actor, args.tenant)
    print(f"rolled back: {ref.name}@champion is version {step.version} (was {step.previous})")
    return 0
