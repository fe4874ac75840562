"""The patch policy: which paths an edit may touch and how big it may be."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.patching.paths import matches_glob

#: Never touched by the agent unless a repository's policy says otherwise: CI definitions (they
#: run with the repository's credentials), lock files (supply chain), secret-looking files, .git.
DEFAULT_DENIED_GLOBS: tuple[str, ...] = (
    ".github/workflows/**",
    ".github/actions/**",
    ".gitlab-ci.yml",
    ".gitlab/ci/**",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    ".azure-pipelines/**",
    "*.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "go.sum",
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git/**",
    "**/.git/**",
)


@dataclass(frozen=True)
class PatchPolicy:
    """Limits on an edit. A path must match an allowed glob and no denied glob (see
    ``paths.matches_glob``); ``max_changed_lines`` counts added plus removed lines."""

    allowed_globs: tuple[str, ...] = ("**",)
    denied_globs: tuple[str, ...] = DEFAULT_DENIED_GLOBS
    max_files: int = 20
    max_changed_lines: int = 1000
    syntax_check: bool = True
    scan_secrets: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PatchPolicy:
        """From a repository's agent config; ``extra_denied_globs`` adds to the defaults."""
        defaults = cls()
        denied = tuple(data.get("denied_globs", defaults.denied_globs))
        return cls(
            allowed_globs=tuple(data.get("allowed_globs", defaults.allowed_globs)),
            denied_globs=denied + tuple(data.get("extra_denied_globs", ())),
            max_files=int(data.get("max_files", defaults.max_files)),
            max_changed_lines=int(data.get("max_changed_lines", defaults.max_changed_lines)),
            syntax_check=bool(data.get("syntax_check", defaults.syntax_check)),
            scan_secrets=bool(data.get("scan_secrets", defaults.scan_secrets)),
        )

    def path_refusal(self, path: str) -> str | None:
        """Why the policy forbids changing ``path``, or None when it allows it."""
        denied = next((glob for glob in self.denied_globs if matches_glob(path, glob)), None)
        if denied is not None:
            return f"the path matches the denied pattern {denied!r}"
        if not any(matches_glob(path, glob) for glob in self.allowed_globs):
            return "the path matches none of the allowed patterns"
        return None
