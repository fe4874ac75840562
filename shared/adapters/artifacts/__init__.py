"""ArtifactStore adapters: a local folder, Azure Blob Storage."""
