"""Operator and test entry point of the local sandbox: ``python -m shared.sandbox run ...``."""
