"""Durable Functions client adapters."""
