from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.errors import ConfigurationError
from shared.services.llm_hub.pricing import PriceTable


def test_model_versions_are_priced_by_their_longest_known_prefix() -> None:
    prices = PriceTable()
    assert prices.price("openai", "gpt-4o-2024-08-06").input == Decimal("2.50")
    assert prices.price("openai", "gpt-4o-mini-2024-07-18").input == Decimal("0.15")
    assert prices.price("anthropic", "claude-sonnet-4-5-20250929").output == Decimal(15)


def test_self_hosted_and_scripted_are_free_and_unknown_hosted_models_expensive() -> None:
    prices = PriceTable()
    assert prices.cost("ollama", "qwen2.5-coder:7b", 10**6, 10**6) == 0
    assert prices.cost("scripted", "scripted:demo", 10**6, 10**6) == 0
    assert prices.cost("openai", "my-finetune", 1_000_000, 0) == Decimal(15)
    assert prices.cost("azure-openai", "prod-deployment", 0, 1_000_000) == Decimal(75)


def test_cost_is_rounded_up_to_the_micro_dollar() -> None:
    assert PriceTable().cost("openai", "gpt-4o-mini", 1, 0) == Decimal("0.000001")


def test_configured_prices_override_and_provider_keys_win() -> None:
    prices = PriceTable.from_json(
        '{"azure-openai/prod": {"input": 1, "output": 2}, "gpt-4o": {"input": 9, "output": 9}}'
    )
    assert prices.cost("azure-openai", "prod", 1_000_000, 1_000_000) == Decimal(3)
    assert prices.price("openai", "gpt-4o-2024-08-06").input == Decimal(9)
    assert prices.price("openai", "gpt-4o-mini").input == Decimal("0.15")


@pytest.mark.parametrize(
    "text",
    [
        "[1]",
        '{"x": {"input": 1}}',
        '{"x": {"input": "a", "output": 1}}',
        '{"x": {"input": -1, "output": 1}}',
    ],
)
def test_malformed_price_tables_are_configuration_errors(text: str) -> None:
    with pytest.raises(ConfigurationError, match="LLM_PRICES_JSON"):
        PriceTable.from_json(text)
