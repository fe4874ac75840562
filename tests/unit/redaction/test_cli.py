"""``python -m tools.redact FILE`` without a tenant: the file as the LLM would receive it."""

from __future__ import annotations

import random
import string
import subprocess
import sys

from shared.policies.secrets import placeholder
from tests.conftest import REPO_ROOT
from tools.redact.__main__ import LOCAL_DEVELOPMENT_KEY, main


def test_prints_the_file_redacted_with_the_local_development_key(tmp_path, capsys) -> None:
    secret = "".join(random.Random(7).choice(string.ascii_letters) for _ in range(12)) + "9!"
    path = tmp_path / ".env"
    path.write_text(f"DB_HOST=db.internal\nDB_PASSWORD={secret}\n")

    assert main([str(path)]) == 0

    out, err = capsys.readouterr()
    expected = placeholder("secret-assignment", secret, key=LOCAL_DEVELOPMENT_KEY)
    assert out == f"DB_HOST=db.internal\nDB_PASSWORD={expected}\n"
    assert err == "1 secret(s) redacted: secret-assignment\n"


def test_a_missing_file_is_a_clear_error(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.redact", str(tmp_path / "nope.env")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: no such file: {tmp_path / 'nope.env'}\n"
