"""Versioned prompt templates: files, hashes, rendering."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shared.domain.errors import InvalidInput, NotFound
from shared.domain.llm import Role
from shared.patching.formats import EditFormat
from shared.services.llm_hub.patch_prompts import patch_variables
from shared.services.llm_hub.prompts import PROMPTS_DIR, PromptLibrary

PATCH_VARIABLES = {
    "command": "fix",
    "instruction": "i",
    "title": "t",
    "body": "b",
    "discussion": "d",
    "files": [],
    "feedback": "",
    "attempt": 1,
}


def test_shipped_templates_have_name_version_and_file_hash() -> None:
    library = PromptLibrary()
    assert library.names() == [
        "patch_search_replace.v1",
        "patch_udiff.v1",
        "patch_whole.v1",
        "review.v1",
    ]
    template = library.get("patch_udiff")
    raw = (PROMPTS_DIR / "patch_udiff.v1.md").read_bytes()
    assert template.ref.version == 1
    assert template.ref.content_hash == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert [role for role, _ in template.parts] == [Role.SYSTEM, Role.USER]


@pytest.mark.parametrize("fmt", [f for f in EditFormat if f is not EditFormat.AUTO])
def test_every_edit_format_has_a_patch_template_filled_by_the_patch_variables(fmt) -> None:
    template = PromptLibrary().get(f"patch_{fmt.value.replace('-', '_')}")
    messages = template.render(patch_variables(PATCH_VARIABLES))
    assert template.variables == set(PATCH_VARIABLES)
    assert "{{" not in "".join(m.content for m in messages)


def test_latest_version_unless_pinned(tmp_path: Path) -> None:
    (tmp_path / "ask.v1.md").write_text("<!-- role: user -->\nv1 {{ q }}\n")
    (tmp_path / "ask.v2.md").write_text(
        "notes\n<!-- role: system -->\ns\n<!-- role: user -->\nv2 {{q}}"
    )
    library = PromptLibrary(tmp_path)
    assert library.get("ask").ref.version == 2
    assert library.get("ask").render({"q": "?"})[1].content == "v2 ?"
    assert library.get("ask.v1").render({"q": "?"})[0].content == "v1 ?"
    with pytest.raises(NotFound):
        library.get("ask.v3")
    with pytest.raises(InvalidInput):
        library.get("../etc/passwd")


def test_substitution_is_one_pass_and_missing_variables_are_named(tmp_path: Path) -> None:
    (tmp_path / "t.v1.md").write_text("<!-- role: user -->\n{{ a }} and {{ b }}")
    template = PromptLibrary(tmp_path).get("t")
    (message,) = template.render({"a": "{{ b }}", "b": "B", "unused": "x"})
    assert message.content == "{{ b }} and B"
    with pytest.raises(InvalidInput, match="needs variable"):
        template.render({"a": "1"})


def test_a_template_without_roles_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.v1.md").write_text("just text")
    with pytest.raises(InvalidInput, match="role"):
        PromptLibrary(tmp_path).get("bad")


def test_context_files_are_fenced_longer_than_their_own_fences() -> None:
    text = "doc\n````python\nx\n````\n"
    rendered = patch_variables({**PATCH_VARIABLES, "files": [{"path": "README.md", "text": text}]})
    assert rendered["files"].startswith("### README.md\n`````\n")
    with pytest.raises(InvalidInput):
        patch_variables({**PATCH_VARIABLES, "files": [{"path": "x"}]})
