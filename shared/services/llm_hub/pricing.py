"""What a call costs: a price table per model, in USD per million tokens (input, output).

Keys are ``provider/model``, ``model``, ``provider/*`` or ``*``; a model matches a key equal to
it or a prefix of it followed by ``-``/``:``/``@`` (so ``gpt-4o`` prices ``gpt-4o-2024-08-06``),
the longest key winning, ``provider/model`` keys before ``model`` keys. Self-hosted and scripted
models cost nothing by default; an unknown hosted model is priced at ``*``, on the expensive side,
so that a missing price can never let a tenant overspend its budget. ``LLM_PRICES_JSON`` adds to
and overrides the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from shared.domain.errors import ConfigurationError

MILLION = Decimal(1_000_000)
MICRO_USD = Decimal("0.000001")


@dataclass(frozen=True)
class Price:
    input: Decimal
    output: Decimal


DEFAULT_PRICES: dict[str, Price] = {
    "*": Price(Decimal(15), Decimal(75)),
    "ollama/*": Price(Decimal(0), Decimal(0)),
    "scripted/*": Price(Decimal(0), Decimal(0)),
    "gpt-4o": Price(Decimal("2.50"), Decimal(10)),
    "gpt-4o-mini": Price(Decimal("0.15"), Decimal("0.60")),
    "gpt-4.1": Price(Decimal(2), Decimal(8)),
    "gpt-4.1-mini": Price(Decimal("0.40"), Decimal("1.60")),
    "claude-sonnet-4": Price(Decimal(3), Decimal(15)),
    "claude-opus-4": Price(Decimal(15), Decimal(75)),
    "claude-haiku-4": Price(Decimal(1), Decimal(5)),
}


def _matches(key: str, model: str) -> bool:
    return model == key or (model.startswith(key) and model[len(key)] in "-:@")


class PriceTable:
    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)
        if "*" not in self._prices:
            raise ConfigurationError("the LLM price table needs a '*' entry")

    @classmethod
    def from_json(cls, text: str | None) -> PriceTable:
        """The defaults overridden by ``text`` (``LLM_PRICES_JSON``); ``ConfigurationError``
        naming the entry when it is malformed."""
        prices = dict(DEFAULT_PRICES)
        if not text:
            return cls(prices)
        try:
            document = json.loads(text)
            if not isinstance(document, dict):
                raise ValueError("expected an object")
            for key, entry in document.items():
                prices[str(key)] = Price(
                    Decimal(str(entry["input"])), Decimal(str(entry["output"]))
                )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise ConfigurationError(f"LLM_PRICES_JSON is invalid: {exc!r}") from exc
        if any(p.input < 0 or p.output < 0 for p in prices.values()):
            raise ConfigurationError("LLM_PRICES_JSON: prices must not be negative")
        return cls(prices)

    def price(self, provider: str, model: str) -> Price:
        for candidate in (f"{provider}/{model}", model):
            keys = [k for k in self._prices if k != "*" and not k.endswith("/*")]
            best = max((k for k in keys if _matches(k, candidate)), key=len, default=None)
            if best is not None:
                return self._prices[best]
        return self._prices.get(f"{provider}/*", self._prices["*"])

    def cost(self, provider: str, model: str, input_tokens: int, output_tokens: int) -> Decimal:
        """USD, rounded up to the micro-dollar."""
        price = self.price(provider, model)
        total = (price.input * input_tokens + price.output * output_tokens) / MILLION
        return total.quantize(MICRO_USD, rounding="ROUND_CEILING")
