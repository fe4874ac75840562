"""The domain package: everything with logic or I/O lives here (see ARCHITECTURE.md)."""
