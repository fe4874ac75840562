"""The admin API contract: operations, models, OpenAPI document, problem details."""
