"""The LLM hub: routing, fallback, circuit breaking, budgets, redaction and lineage of LLM calls."""

from shared.services.llm_hub.hub import LlmHub

__all__ = ["LlmHub"]
