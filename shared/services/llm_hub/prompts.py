"""Prompt templates: versioned files, identified by name, version and content hash.

A template is ``<name>.v<N>.md`` in ``shared/prompts/``. Lines ``<!-- role: system -->`` and
``<!-- role: user -->`` (or ``assistant``) start the messages; text before the first one is notes
for template authors and is not sent (it is still covered by the hash). ``{{ name }}`` is replaced
by the variable ``name``, in one pass (text coming from variables is never expanded again). A
variable the template uses but the caller did not give is an error; extra variables are ignored,
so that one set of variables can fill each edit format's template.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.domain.errors import InvalidInput, NotFound
from shared.domain.llm import Message, Role
from shared.domain.llm_hub import TemplateRef

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_FILE = re.compile(r"^([a-z][a-z0-9_]*)\.v([1-9][0-9]*)\.md$")
_REF = re.compile(r"^([a-z][a-z0-9_]*)(?:\.v([1-9][0-9]*))?$")
_ROLE = re.compile(r"^<!-- role: (system|user|assistant) -->[ \t]*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class PromptTemplate:
    ref: TemplateRef
    parts: tuple[tuple[Role, str], ...]

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(m for _, text in self.parts for m in _PLACEHOLDER.findall(text))

    def render(self, variables: Mapping[str, object]) -> tuple[Message, ...]:
        missing = sorted(self.variables - set(variables))
        if missing:
            raise InvalidInput(
                f"template {self.ref.name}.v{self.ref.version} needs variable(s) "
                f"{', '.join(missing)}",
                code="missing-template-variable",
            )
        return tuple(
            Message(role, _PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), text).strip())
            for role, text in self.parts
        )


def parse_template(name: str, version: int, raw: bytes) -> PromptTemplate:
    text = raw.decode("utf-8")
    markers = list(_ROLE.finditer(text))
    if not markers:
        raise InvalidInput(f"template {name}.v{version} has no '<!-- role: ... -->' line")
    parts = tuple(
        (Role(marker.group(1)), text[marker.end() : nxt.start() if nxt else len(text)])
        for marker, nxt in zip(markers, [*markers[1:], None], strict=True)
    )
    ref = TemplateRef(name, version, "sha256:" + hashlib.sha256(raw).hexdigest())
    return PromptTemplate(ref, parts)


class PromptLibrary:
    """The templates of one directory, read on first use and kept (they ship with the code)."""

    def __init__(self, directory: Path = PROMPTS_DIR) -> None:
        self._directory = directory
        self._templates: dict[tuple[str, int], PromptTemplate] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[tuple[str, int], PromptTemplate]:
        with self._lock:
            if self._templates is None:
                found = {}
                for path in sorted(self._directory.glob("*.md")):
                    match = _FILE.match(path.name)
                    if match:
                        name, version = match.group(1), int(match.group(2))
                        found[(name, version)] = parse_template(name, version, path.read_bytes())
                self._templates = found
            return self._templates

    def get(self, reference: str) -> PromptTemplate:
        """``name`` (its latest version) or ``name.vN``; ``NotFound`` when there is none."""
        match = _REF.match(reference)
        if not match:
            raise InvalidInput(f"invalid template reference {reference!r}")
        name, version = match.group(1), match.group(2)
        templates = self._load()
        if version is not None:
            template = templates.get((name, int(version)))
        else:
            versions = [v for (n, v) in templates if n == name]
            template = templates.get((name, max(versions))) if versions else None
        if template is None:
            raise NotFound(f"no prompt template {reference!r}", code="template-not-found")
        return template

    def names(self) -> list[str]:
        return sorted({f"{n}.v{v}" for (n, v) in self._load()})
