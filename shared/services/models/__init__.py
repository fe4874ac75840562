"""Model governance: routing through registry aliases, promotion, evaluation, model cards."""
