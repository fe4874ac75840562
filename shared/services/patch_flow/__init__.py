"""Use cases behind the patch_flow activities (one module per concern)."""
