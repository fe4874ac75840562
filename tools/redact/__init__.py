"""Show a file as the LLM would receive it, secrets redacted (``python -m tools.redact``)."""
