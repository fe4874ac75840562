"""Operator commands (``python -m tools.admin``)."""
