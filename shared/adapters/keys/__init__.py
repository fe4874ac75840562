"""KeyProvider adapters: local key files, Azure Key Vault keys."""
