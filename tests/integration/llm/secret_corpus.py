"""Realistic-looking secrets, generated for the test (none is real), embedded in code files.

Formats follow the vendors' documented token shapes; a seeded generator keeps runs identical.
"""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Secret:
    kind: str
    value: str


def _mixed(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    """``n`` random characters with at least one upper, lower and digit (so entropy checks hold)."""
    core = [
        rng.choice(string.ascii_uppercase),
        rng.choice(string.ascii_lowercase),
        rng.choice(string.digits),
    ]
    core += [rng.choice(alphabet) for _ in range(n - 3)]
    rng.shuffle(core)
    return "".join(core)


def _b64(rng: random.Random, n_bytes: int) -> str:
    return base64.b64encode(rng.randbytes(n_bytes)).decode()


def _private_key(rng: random.Random) -> str:
    key = ec.derive_private_key(rng.getrandbits(250) + 1, ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def generate(seed: int = 6) -> list[Secret]:
    rng = random.Random(seed)
    jwt_part = lambda n: base64.urlsafe_b64encode(rng.randbytes(n)).decode().rstrip("=")  # noqa: E731
    return [
        Secret("github-token", "ghp_" + _mixed(rng, 36)),
        Secret("github-fine-grained", "github_pat_" + _mixed(rng, 22) + "_" + _mixed(rng, 59)),
        Secret("gitlab-token", "glpat-" + _mixed(rng, 20)),
        Secret("openai-key", "sk-proj-" + _mixed(rng, 48)),
        Secret("anthropic-key", "sk-ant-api03-" + _mixed(rng, 86, ALNUM + "-_") + "AA"),
        Secret(
            "slack-token",
            f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-"
            + _mixed(rng, 24),
        ),
        Secret(
            "aws-access-key-id",
            "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)),
        ),
        Secret("aws-secret-key", _mixed(rng, 40, ALNUM + "/+")),
        Secret("azure-storage-key", _b64(rng, 64)),
        Secret("azure-sas-sig", quote(_b64(rng, 32), safe="")),
        Secret("azure-client-secret", _mixed(rng, 3) + "8Q~" + _mixed(rng, 34, ALNUM + "_~.-")),
        Secret("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJ" + jwt_part(48) + "." + jwt_part(32)),
        Secret("url-password", _mixed(rng, 18, ALNUM + "!*")),
        Secret("password-assignment", _mixed(rng, 16, ALNUM + "#%")),
        Secret("connection-string-password", _mixed(rng, 20, ALNUM + "!#")),
        Secret("high-entropy", _mixed(rng, 44, ALNUM + "+/")),
        Secret("private-key", _private_key(rng)),
    ]


def code_files(secrets: list[Secret]) -> list[dict[str, str]]:
    """The secrets embedded the way they leak into repositories."""
    s = {secret.kind: secret.value for secret in secrets}
    settings_py = f'''"""Settings for the billing service."""
import os

GITHUB_TOKEN = "{s["github-token"]}"
GITLAB_DEPLOY = "{s["gitlab-token"]}"
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "{s["openai-key"]}")
client = Anthropic(api_key="{s["anthropic-key"]}")
DATABASE_URL = "postgresql://billing:{s["url-password"]}@db.internal:5432/billing"
db_password = "{s["password-assignment"]}"
SQL_CONN = (
    "Server=tcp:billing.database.windows.net,1433;Database=billing;User ID=app;"
    "Password={s["connection-string-password"]};Encrypt=yes;"
)
cache_seed = "{s["high-entropy"]}"
'''
    env = f"""# local overrides
GH_PAT={s["github-fine-grained"]}
SLACK_BOT_TOKEN={s["slack-token"]}
AWS_ACCESS_KEY_ID={s["aws-access-key-id"]}
AWS_SECRET_ACCESS_KEY={s["aws-secret-key"]}
AZURE_CLIENT_SECRET={s["azure-client-secret"]}
"""
    account = "DefaultEndpointsProtocol=https;AccountName=billingprod;"
    account += f"AccountKey={s['azure-storage-key']};EndpointSuffix=core.windows.net"
    export = "https://billingprod.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=o&sp=r"
    export += f"&se=2030-01-01T00:00:00Z&sig={s['azure-sas-sig']}"
    config_yaml = f"""storage:
  connection_string: "{account}"
  export_url: "{export}"
auth:
  session: {s["jwt"]}
"""
    return [
        {"path": "billing/settings.py", "text": settings_py},
        {"path": ".env.local", "text": env},
        {"path": "deploy/config.yaml", "text": config_yaml},
        {"path": "deploy/tls/server.key", "text": s["private-key"]},
    ]


def leaked(secrets: list[Secret], text: str) -> list[str]:
    """The kinds of secrets (or, for a PEM key, any of its base64 lines) found in ``text``."""
    found = []
    for secret in secrets:
        pieces = [secret.value]
        if secret.kind == "private-key":
            pieces = [line for line in secret.value.splitlines() if not line.startswith("-----")]
        if any(piece in text for piece in pieces):
            found.append(secret.kind)
    return found
