"""SecretStore adapters: files under devhost's data dir, Azure Key Vault."""
