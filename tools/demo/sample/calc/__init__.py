"""A tiny statistics library (the demo's repository)."""
