"""Model registry adapters (MLflow)."""
