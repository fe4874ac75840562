"""Sandbox adapters: Linux namespaces locally (``local``), Container Apps dynamic sessions in
Azure (``dynamic_sessions``). Chosen in ``shared.bootstrap``."""
