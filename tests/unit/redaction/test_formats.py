"""Redaction per file format: secrets by key name and by shape go, everything else stays.

Secrets are generated at run time (none sits in the tree); each case names the secret values
that must be gone and the non-secret values (hosts, ports, user names) that must survive.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from shared.policies.secrets import find_secrets, redact

RNG = random.Random(20261206)
KEY = RNG.randbytes(32)
ALNUM = string.ascii_letters + string.digits


def pw() -> str:
    """A password as people make them: letters, digits and a symbol."""
    return "".join(RNG.choice(ALNUM) for _ in range(10)) + RNG.choice("!@#%&*") + "7x"


def token(prefix: str, n: int) -> str:
    return prefix + "".join(RNG.choice(ALNUM) for _ in range(n))


def check(text: str, secrets: tuple[str, ...], keep: tuple[str, ...]) -> str:
    out = redact(text, key=KEY).text
    for secret in secrets:
        assert secret not in out, f"{secret!r} survived in\n{out}"
    for value in keep:
        assert value in out, f"{value!r} was redacted from\n{out}"
    return out


def test_dotenv() -> None:
    a, b, c = pw(), pw(), token("sk_live_", 24)
    text = (
        f"# local\nDB_HOST=db.internal\nDB_PORT=5432\nDB_USER=app\nDB_PASSWORD={a}\n"
        f'export SMTP_PASS="{b}"\nSTRIPE_API_KEY={c}  # from the dashboard\nDEBUG=true\n'
    )
    out = check(text, (a, b, c), ("db.internal", "5432", "DB_USER=app", "DEBUG=true"))
    assert "# from the dashboard" in out


def test_ini() -> None:
    a = pw()
    text = f"[client]\nuser = app\npassword = {a}\nhost = db.internal\nport = 3306\n"
    check(text, (a,), ("user = app", "db.internal", "3306"))


def test_java_properties() -> None:
    a, b = pw(), token("", 40)
    text = (
        "spring.datasource.url=jdbc:postgresql://db.internal:5432/orders\n"
        f"spring.datasource.username=orders\nspring.datasource.password={a}\n"
        f"app.jwt.secret={b}\nserver.port=8080\n"
    )
    check(text, (a, b), ("db.internal:5432", "username=orders", "server.port=8080"))


def test_yaml() -> None:
    a, b, c = pw(), token("npm_", 36), pw()
    text = (
        f"spring:\n  datasource:\n    username: app\n    password: {a}\n"
        f"publish:\n  npm-token: '{b}'\n"
        f'env:\n  - name: DB_PASSWORD\n    value: "{c}"\n  - name: DB_HOST\n    value: db\n'
    )
    check(text, (a, b, c), ("username: app", "value: db"))


def test_json() -> None:
    a, b = pw(), token("SG.", 22) + "." + token("", 43)
    doc = {
        "ConnectionStrings": {"Default": f"Server=db.internal;User Id=app;Password={a};"},
        "SendGrid": {"ApiKey": b},
        "Port": 8443,
    }
    check(json.dumps(doc, indent=2), (a, b), ("Server=db.internal", "User Id=app", "8443"))


def test_toml() -> None:
    a, b = pw(), token("ghp_", 36)
    text = (
        f'[database]\nhost = "db.internal"\nport = 5432\npassword = "{a}"\n\n[gh]\ntoken = "{b}"\n'
    )
    check(text, (a, b), ('host = "db.internal"', "port = 5432"))


def test_xml() -> None:
    a = pw()
    text = f"<server><id>releases</id><username>deploy</username><password>{a}</password></server>"
    check(text, (a,), ("<username>deploy</username>",))


@pytest.mark.parametrize(
    "template",
    [
        'DB_PASSWORD = "{s}"  # python',
        "const apiKey = '{s}';",
        'private static final String PASSWORD = "{s}";',
        '\treturn Config{{User: "app", Password: "{s}"}}',
        "    'password' => '{s}',",
        "config['secret_token'] = '{s}'",
        "docker login --username app --password {s} registry.example.com",
        "    - POSTGRES_PASSWORD={s}",
        "+DB_PASSWORD={s}",
        "PGPASSWORD={s} psql -h db.internal -U app",
        "docker run -e API_TOKEN={s} -p 8080:8080 app",
        "curl -u deploy:{s} https://api.example.com",
        "machine api.example.com login deploy password {s}",
        "cache = redis.from_url('redis://:{s}@cache.internal:6379/0')",
    ],
    ids=[
        "python",
        "js",
        "java",
        "go",
        "php",
        "subscript",
        "cli-flag",
        "compose",
        "diff",
        "inline-env",
        "docker-env",
        "curl-user",
        "netrc",
        "url-without-user",
    ],
)
def test_code_and_ci(template: str) -> None:
    secret = pw()
    check(template.format(s=secret), (secret,), ())


@pytest.mark.parametrize(
    ("kind", "secret"),
    [
        ("stripe-key", token("sk_live_", 24)),
        ("npm-token", token("npm_", 36)),
        ("sendgrid-key", token("SG.", 22) + "." + token("", 43)),
        ("gcp-api-key", token("AIza", 35)),
        ("huggingface-token", token("hf_", 34)),
        ("gitlab-token", token("glpat-", 20)),
        ("authorization", token("", 30) + "9"),
    ],
)
def test_shapes_in_code_without_a_telling_name(kind: str, secret: str) -> None:
    text = f'client = Client("{secret}")\n' if kind != "authorization" else f"Bearer {secret}"
    assert [(f.kind, text[f.start : f.end]) for f in find_secrets(text)] == [(kind, secret)]


def test_basic_authorization_and_url_passwords() -> None:
    a, b = pw(), pw().replace("@", "!")
    basic = base64.b64encode(f"deploy:{a}".encode()).decode()
    text = (
        f'curl -H "Authorization: Basic {basic}" https://api.example.com\n'
        f"DATABASE_URL=postgresql://app:{b}@db.internal:5432/main\n"
    )
    check(text, (basic, b), ("api.example.com", "app:", "@db.internal:5432/main"))


@pytest.mark.parametrize(
    "text",
    [
        '"integrity": "sha512-' + base64.b64encode(RNG.randbytes(64)).decode() + '"',
        "  integrity sha512-" + base64.b64encode(RNG.randbytes(64)).decode(),
        "github.com/a/b v1.2.3 h1:" + base64.b64encode(RNG.randbytes(32)).decode(),
        'hash = "sha256:' + RNG.randbytes(32).hex() + '"',
        "url(data:image/png;base64," + base64.b64encode(RNG.randbytes(120)).decode() + ")",
        'DB_PASSWORD = os.environ["DB_PASSWORD"]',
        "password: ${DB_PASSWORD}",
        "token: ${{ secrets.DEPLOY_TOKEN }}",
        "api-key: '%(api_key)s'",
        "DB_PASSWORD=changeme",
        'api_key = "<your-token>"',
        "SECRET_KEY=xxxxxxxxxxxxxxxx",
        "SMTP_PASSWORD=***",
        "export GITHUB_TOKEN=ghp_xxxxxxxx",
        "STRIPE_KEY=sk_test_...",
        "API_KEY=your-api-key-here",
        'assert "password" in page.text',
        'form = {"username": "alice", "password": "not-the-password"}',
        "password: str",
        "String password = form.getPassword();",
        '"@octokit/auth-token": "^4.0.0",',
        "max_tokens: 4096",
        "token_url: https://login.example.com/oauth2/token",
        "existingSecret: app-db",
        "password: the password of the database user",
        "commit " + RNG.randbytes(20).hex(),
    ],
)
def test_not_secrets(text: str) -> None:
    assert find_secrets(text) == []
