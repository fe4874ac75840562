"""Search/replace blocks, whole files, format detection and extraction from chat answers."""

from __future__ import annotations

import pytest

from shared.domain.errors import PatchRejected
from shared.patching import (
    FORMAT_INSTRUCTIONS,
    ApplyResult,
    EditFormat,
    apply_edits,
    detect_format,
    parse_edits,
)
from shared.patching.extract import fenced_blocks

SOURCE = "def greet(name):\n    print('hi', name)\n\n\ndef bye():\n    pass\n"


def apply_ok(snapshot: dict[str, str], answer: str, fmt: str = "auto") -> dict[str, str | None]:
    outcome = apply_edits(snapshot, parse_edits(answer, fmt))
    assert isinstance(outcome, ApplyResult), outcome.to_feedback()
    return outcome.files


def test_search_replace_blocks_in_a_chat_answer() -> None:
    answer = """I'll update both functions.

**app.py**
```python
<<<<<<< SEARCH
def greet(name):
    print('hi', name)
=======
def greet(name):
    print('hello', name)
>>>>>>> REPLACE
```

And the second one:

```python
<<<<<<< SEARCH
def bye():
    pass
=======
def bye():
    print('bye')
>>>>>>> REPLACE
```
"""
    assert detect_format(answer) is EditFormat.SEARCH_REPLACE
    assert apply_ok({"app.py": SOURCE}, answer) == {
        "app.py": "def greet(name):\n    print('hello', name)\n\n\ndef bye():\n    print('bye')\n"
    }


def test_search_replace_with_dedented_search_and_replace() -> None:
    answer = (
        "app.py\n<<<<<<< SEARCH\nprint('hi', name)\n=======\nif name:\n"
        "    print('hi', name)\n>>>>>>> REPLACE\n"
    )
    assert apply_ok({"app.py": SOURCE}, answer)["app.py"] == SOURCE.replace(
        "    print('hi', name)\n", "    if name:\n        print('hi', name)\n"
    )


def test_search_replace_with_empty_search_creates_a_file() -> None:
    answer = "new/mod.py\n<<<<<<< SEARCH\n=======\nVALUE = 1\n>>>>>>> REPLACE\n"
    assert apply_ok({}, answer) == {"new/mod.py": "VALUE = 1\n"}


def test_search_replace_keeps_crlf() -> None:
    answer = "app.py\n<<<<<<< SEARCH\n    pass\n=======\n    return None\n>>>>>>> REPLACE\n"
    crlf = SOURCE.replace("\n", "\r\n")
    assert apply_ok({"app.py": crlf}, answer)["app.py"] == crlf.replace("pass", "return None")


def test_search_replace_answer_cut_off_in_a_block_is_refused_whole() -> None:
    answer = (
        "app.py\n<<<<<<< SEARCH\n    pass\n=======\n    return 1\n>>>>>>> REPLACE\n"
        "app.py\n<<<<<<< SEARCH\ndef greet(name):\n=======\ndef gre"
    )
    with pytest.raises(PatchRejected) as refused:
        parse_edits(answer)
    assert refused.value.code == "truncated-answer"
    assert "no >>>>>>> REPLACE line" in refused.value.message


def test_whole_file_replacement_keeps_line_endings_and_final_newline_state() -> None:
    answer = "Here is the new file.\n\n`config/app.ini`:\n```ini\n[main]\nkey = 2\n```\n"
    assert detect_format(answer) is EditFormat.WHOLE
    files = apply_ok({"config/app.ini": "[main]\r\nkey = 1"}, answer)
    assert files == {"config/app.ini": "[main]\r\nkey = 2"}


def test_whole_file_path_in_the_fence_info_string() -> None:
    answer = "```python src/new_module.py\nX = 1\n```\n"
    assert apply_ok({}, answer, "whole") == {"src/new_module.py": "X = 1\n"}


def test_whole_file_with_a_nested_fence_inside_markdown() -> None:
    answer = "README.md\n````markdown\n# Usage\n```bash\nmake demo\n```\nDone.\n````\n"
    readme = "# Usage\n```bash\nmake demo\n```\nDone.\n"
    assert apply_ok({"README.md": "old\n"}, answer, "whole") == {"README.md": readme}
    answer_same_fence = "README.md\n```markdown\n# Usage\n```bash\nmake demo\n```\nDone.\n```\n"
    assert apply_ok({"README.md": "old\n"}, answer_same_fence, "whole") == {"README.md": readme}


def test_unclosed_fence_runs_to_the_end_of_the_answer() -> None:
    [block] = fenced_blocks("text\n```diff\n-a\n+b\n")
    assert (block.info, block.body, block.closed) == ("diff", "-a\n+b\n", False)


def test_format_detection() -> None:
    assert detect_format("```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```") is EditFormat.UDIFF
    assert detect_format("@@ @@\n-a\n+b\n") is EditFormat.UDIFF
    assert detect_format("x.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n") is (
        EditFormat.SEARCH_REPLACE
    )


def test_every_concrete_format_has_prompt_instructions() -> None:
    assert set(FORMAT_INSTRUCTIONS) == set(EditFormat) - {EditFormat.AUTO}


def test_diff_of_a_markdown_file_whose_context_holds_a_fence() -> None:
    readme = "# Tool\n\n```\nmake test\n```\n\n118 tests run.\n"
    diff = (
        "--- a/README.md\n+++ b/README.md\n@@ -3,5 +3,5 @@\n ```\n make test\n ```\n \n"
        "-118 tests run.\n+120 tests run.\n"
    )
    expected = {"README.md": readme.replace("118", "120")}
    assert apply_ok({"README.md": readme}, diff) == expected
    assert apply_ok({"README.md": readme}, f"The change:\n```diff\n{diff}```\n") == expected


def test_whole_file_named_in_the_sentence_introducing_it() -> None:
    answer = (
        "Here is the updated `src/app.py`:\n\n```python\nVALUE = 2\n```\n\nUse `os.path` freely.\n"
    )
    assert apply_ok({"src/app.py": "VALUE = 1\n"}, answer, "whole") == {"src/app.py": "VALUE = 2\n"}


def test_code_block_after_prose_naming_no_single_file_is_not_an_edit() -> None:
    answer = "Compare `a.py` and `b.py`:\n\n```python\nx = 1\n```\n"
    with pytest.raises(PatchRejected):
        parse_edits(answer, "whole")
