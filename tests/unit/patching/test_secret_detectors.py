"""The shared secret detectors (``shared.policies.secrets``): what they find and how they redact.

Secrets are assembled at run time from random parts so that no literal secret sits in the tree.
"""

from __future__ import annotations

import base64
import random
import string

import pytest

from shared.policies.secrets import find_secrets, placeholder, redact

RNG = random.Random(1234)
KEY = RNG.randbytes(32)


def rand(alphabet: str, size: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(size))


ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"

CASES = [
    ("github-token", "ghp_" + rand(ALNUM, 36)),
    ("github-token", "github_pat_" + rand(ALNUM + "_", 82)),
    ("github-token", "gho_" + rand(ALNUM, 36)),
    ("gitlab-token", "glpat-" + rand(ALNUM + "-_", 20)),
    ("anthropic-key", "sk-ant-api03-" + rand(ALNUM + "-_", 90)),
    ("openai-key", "sk-proj-" + rand(ALNUM + "-_", 48)),
    ("openai-key", "sk-" + rand(ALNUM, 48)),
    ("slack-token", "xoxb-" + rand(string.digits, 12) + "-" + rand(ALNUM, 24)),
    ("aws-access-key-id", "AKIA" + rand(string.ascii_uppercase + string.digits, 16)),
    ("jwt", "eyJ" + rand(ALNUM, 20) + ".eyJ" + rand(ALNUM, 30) + "." + rand(ALNUM + "_-", 43)),
    ("azure-client-secret", rand(ALNUM, 3) + "8Q~" + rand(ALNUM + "_~.", 34)),
]


@pytest.mark.parametrize(
    ("kind", "secret"), CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)]
)
def test_token_formats_are_found_at_their_exact_position(kind: str, secret: str) -> None:
    text = f"config = {{'value': '{secret}'}}  # from the vault\n"
    findings = find_secrets(text)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [(kind, secret)]


def test_connection_string_key_and_aws_secret_key_find_only_the_key() -> None:
    account_key = base64.b64encode(RNG.randbytes(64)).decode()
    text = f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={account_key};"
    [finding] = find_secrets(text)
    assert (finding.kind, text[finding.start : finding.end]) == ("azure-storage-key", account_key)
    aws = rand(B64, 40)
    text = f'aws_secret_access_key = "{aws}"'
    assert [(f.kind, text[f.start : f.end]) for f in find_secrets(text)] == [
        ("aws-secret-key", aws)
    ]


def test_private_key_block_is_one_finding() -> None:
    body = "\n".join(rand(B64, 64) for _ in range(5))
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    text = f"key = '''\n{pem}\n'''"
    [finding] = find_secrets(text)
    assert (finding.kind, text[finding.start : finding.end]) == ("private-key", pem)


def test_password_in_url_and_assignment() -> None:
    password = rand(ALNUM, 14)
    url = f"postgresql://app:{password}@db.internal:5432/main"
    [finding] = find_secrets(url)
    assert (finding.kind, url[finding.start : finding.end]) == ("url-password", password)
    assignment = f'DB_PASSWORD = "{password}"'
    [finding] = find_secrets(assignment)
    assert (finding.kind, assignment[finding.start : finding.end]) == (
        "secret-assignment",
        password,
    )


def test_high_entropy_string_is_found_but_hex_digests_are_not() -> None:
    blob = rand(ALNUM, 40)
    assert [f.kind for f in find_secrets(f"x = '{blob}'")] == ["high-entropy"]
    sha1 = rand("0123456789abcdef", 40)
    sha256 = rand("0123456789abcdef", 64)
    assert find_secrets(f"commit {sha1} pinned sha256:{sha256}") == []


@pytest.mark.parametrize(
    "text",
    [
        'password = "changeme"',
        "url = 'postgresql://user:${DB_PASSWORD}@localhost/db'",
        "token = get_token()",
        'api_key = "<your-api-key>"',
        "tokenizer = 'bert-base-uncased-model'",
        "def compute_checksum_for_every_file_in_directory_tree(): pass",
        "import os.path.join",
    ],
)
def test_ordinary_code_and_placeholders_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == []


def test_redaction_is_stable_idempotent_and_not_reversible() -> None:
    token = "ghp_" + rand(ALNUM, 36)
    other = "glpat-" + rand(ALNUM, 24)
    text = f"a={token}\nb={other}\nc={token}\n"
    result = redact(text, key=KEY)
    assert result.count == 3
    first = placeholder("github-token", token, key=KEY)
    assert result.text == f"a={first}\nb={placeholder('gitlab-token', other, key=KEY)}\nc={first}\n"
    assert token not in result.text and other not in result.text
    assert (
        first.startswith("<REDACTED:github-token:")
        and len(first) == len("<REDACTED:github-token:>") + 8
    )
    assert dict(result.placeholders) == {
        first: "github-token",
        placeholder("gitlab-token", other, key=KEY): "gitlab-token",
    }
    assert redact(result.text, key=KEY).count == 0


def test_keyed_placeholders_differ_per_key() -> None:
    token = "ghp_" + rand(ALNUM, 36)
    assert placeholder("github-token", token, key=b"tenant-a" * 4) != placeholder(
        "github-token", token, key=b"tenant-b" * 4
    )


def test_a_short_or_missing_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        placeholder("password", "hunter2", key=b"public")
