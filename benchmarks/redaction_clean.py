"""Realistic files without any secret, generated from a seed: what a redactor must leave alone.

Lock files with integrity hashes (package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock,
go.sum, Cargo.lock), checksum lists, base64 data URIs and SRI attributes, environment
references and placeholders in configuration, code and tests that talk about passwords.
Each ``Sample`` lists values that must survive (``keep``); none has secrets.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from benchmarks.redaction_samples import WORDS, Gen, Sample

PACKAGES = [
    "lodash",
    "react",
    "express",
    "chalk",
    "debug",
    "ms",
    "semver",
    "js-tokens",
    "@octokit/auth-token",
    "jsonwebtoken",
    "safe-buffer",
    "node-forge",
    "password-validator",
    "secret-handshake",
    "tokenizer",
    "passport-local",
]


def _clean(g: Gen) -> list[Callable[[], Sample]]:
    r = g.rng

    def version() -> str:
        return f"{r.randrange(0, 9)}.{r.randrange(0, 20)}.{r.randrange(0, 30)}"

    def package_lock() -> Sample:
        entries = []
        for name in r.sample(PACKAGES, 5):
            entries.append(
                f'    "node_modules/{name}": {{\n      "version": "{version()}",\n'
                f'      "resolved": "https://registry.npmjs.org/{name}/-/{name.split("/")[-1]}'
                f'-{version()}.tgz",\n      "integrity": "sha512-{g.b64(64)}"\n    }}'
            )
        text = '{\n  "lockfileVersion": 3,\n  "packages": {\n' + ",\n".join(entries) + "\n  }\n}\n"
        return Sample("package-lock.json", text, keep=("lockfileVersion",))

    def yarn_lock() -> Sample:
        blocks = [
            f'"{name}@^{version()}":\n  version "{version()}"\n'
            f'  resolved "https://registry.yarnpkg.com/{name}/-/x-1.0.0.tgz#{g.hex(40)}"\n'
            f"  integrity sha512-{g.b64(64)}\n"
            for name in r.sample(PACKAGES, 4)
        ]
        return Sample("yarn.lock", "\n".join(blocks))

    def pnpm_lock() -> Sample:
        lines = [
            f"  /{name}@{version()}:\n    resolution: {{integrity: sha512-{g.b64(64)}}}\n"
            for name in r.sample(PACKAGES, 4)
        ]
        return Sample("pnpm-lock.yaml", "lockfileVersion: '6.0'\npackages:\n" + "".join(lines))

    def poetry_lock() -> Sample:
        blocks = [
            f'[[package]]\nname = "{name}"\nversion = "{version()}"\nfiles = [\n'
            f'    {{file = "{name}-1.0-py3-none-any.whl", hash = "sha256:{g.hex(64)}"}},\n]\n'
            for name in r.sample(WORDS, 3)
        ]
        meta = f'\n[metadata]\nlock-version = "2.0"\ncontent-hash = "{g.hex(64)}"\n'
        return Sample("poetry.lock", "\n".join(blocks) + meta)

    def go_sum() -> Sample:
        lines = [
            f"github.com/{w}/{w}lib v{version()} h1:{g.b64(32)}\n"
            f"github.com/{w}/{w}lib v{version()}/go.mod h1:{g.b64(32)}\n"
            for w in r.sample(WORDS, 4)
        ]
        return Sample("go.sum", "".join(lines))

    def cargo_lock() -> Sample:
        blocks = [
            f'[[package]]\nname = "{w}"\nversion = "{version()}"\n'
            f'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
            f'checksum = "{g.hex(64)}"\n'
            for w in r.sample(WORDS, 3)
        ]
        return Sample("Cargo.lock", "\n".join(blocks))

    def checksums() -> Sample:
        lines = [f"{g.hex(64)}  {w}-{version()}.tar.gz\n" for w in r.sample(WORDS, 5)]
        return Sample("SHA256SUMS", "".join(lines))

    def data_uri() -> Sample:
        text = (
            f".logo {{ background: url(data:image/png;base64,{g.b64(r.randrange(60, 400))}); }}\n"
            f'<img alt="icon" src="data:image/svg+xml;base64,{g.b64(90)}">\n'
            f'<script src="https://cdn.example.com/app.js" integrity="sha384-{g.b64(48)}" '
            'crossorigin="anonymous"></script>\n'
        )
        return Sample("index.html", text, keep=("cdn.example.com",))

    def env_example() -> Sample:
        h = g.host()
        text = (
            f"DB_HOST={h}\nDB_PASSWORD=changeme\nAPI_KEY=<your-api-key>\nGITHUB_TOKEN=\n"
            "SECRET_KEY=xxxxxxxxxxxxxxxx\nSTRIPE_KEY=sk_test_...\nSMTP_PASSWORD=***\n"
        )
        return Sample(".env.example", text, keep=(h,))

    def env_references() -> Sample:
        h, u = g.host(), g.user()
        text = (
            f"spring:\n  datasource:\n    url: jdbc:postgresql://{h}:5432/app\n"
            f"    username: {u}\n    password: ${{DB_PASSWORD}}\n"
            "  mail:\n    password: ${SMTP_PASSWORD:}\n"
            "app:\n  token: ${{ secrets.DEPLOY_TOKEN }}\n  api-key: '%(api_key)s'\n"
        )
        return Sample("application.yml", text, keep=(h, u))

    def python_env() -> Sample:
        text = (
            "import os\n\n"
            'DB_PASSWORD = os.environ["DB_PASSWORD"]\n'
            'API_TOKEN = os.getenv("API_TOKEN", "")\n'
            "SECRET_KEY = settings.SECRET_KEY\n"
            "password = getpass.getpass()\n"
            'DSN = f"postgresql://{user}:{password}@{host}/app"\n'
            'CONF = "password=%(password)s host=%(host)s" % params\n'
        )
        return Sample("config.py", text, keep=("os.environ",))

    def k8s_refs() -> Sample:
        text = (
            "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n"
            f"        name: {r.choice(WORDS)}-db\n        key: password\n"
            "  - name: API_TOKEN\n    value: $(API_TOKEN)\n"
        )
        return Sample("deployment.yaml", text)

    def tests_about_passwords() -> Sample:
        w = r.choice(WORDS)
        text = (
            f"def test_password_reset_sends_mail_{w}(client, mailbox):\n"
            '    response = client.post("/password/reset", data={"email": "a@example.com"})\n'
            '    assert "password" in mailbox.last.subject.lower()\n'
            "    assert response.status_code == 302\n\n\n"
            "def test_wrong_password_is_refused(client):\n"
            '    form = {"username": "alice", "password": "not-the-password"}\n'
            '    assert client.post("/login", data=form).status_code == 401\n'
            '    assert page.locator("#password").get_attribute("type") == "password"\n'
        )
        return Sample(f"tests/test_auth_{w}.py", text, keep=("alice",))

    def java_code() -> Sample:
        text = (
            "public User register(SignupForm form) {\n"
            "    String password = form.getPassword();\n"
            "    user.setPassword(encoder.encode(password));\n"
            '    if (password.length() < MIN_PASSWORD_LENGTH) throw new WeakPassword("password");\n'
            "    String token = tokenService.issue(user);\n    return user;\n}\n"
        )
        return Sample("UserService.java", text)

    def typescript() -> Sample:
        text = (
            "export interface Credentials {\n  username: string;\n  password: string;\n"
            "  apiKey?: string;\n}\n\nexport const login = (c: Credentials) =>\n"
            "  http.post('/login', { username: c.username, password: c.password });\n"
            "const token = process.env.GITHUB_TOKEN;\n"
        )
        return Sample("auth.ts", text)

    def git_history() -> Sample:
        lines = [
            f"{g.hex(40)} {r.choice(WORDS)}: fix token refresh ({g.hex(7)})\n" for _ in range(6)
        ]
        uuid = f"{g.hex(8)}-{g.hex(4)}-{g.hex(4)}-{g.hex(4)}-{g.hex(12)}"
        return Sample("CHANGELOG.md", "".join(lines) + f"\nrelease id {uuid}\n", keep=(uuid,))

    def docs() -> Sample:
        text = (
            "## Configuration\n\n| key | meaning |\n|---|---|\n"
            "| `password` | the database password, from Key Vault |\n\n"
            "password: the password of the database user\n"
            "token: a GitHub token with the repo scope\n"
            "Use basic authentication or a bearer token issued by Entra ID.\n"
        )
        return Sample("docs/config.md", text, keep=("Key Vault",))

    def terraform() -> Sample:
        text = (
            'resource "azurerm_postgresql_flexible_server" "db" {\n'
            f'  name                   = "{r.choice(WORDS)}-db"\n'
            "  administrator_password = random_password.db.result\n"
            '  sku_name               = "B_Standard_B1ms"\n}\n'
            'variable "client_secret" {\n  type      = string\n  sensitive = true\n}\n'
        )
        return Sample("main.tf", text, keep=("B_Standard_B1ms",))

    def helm_values() -> Sample:
        text = (
            f"image:\n  repository: ghcr.io/acme/{r.choice(WORDS)}\n  tag: {version()}\n"
            'auth:\n  password: ""\n  existingSecret: app-db\n'
            "  secretKeys:\n    adminPasswordKey: admin-password\n"
        )
        return Sample("values.yaml", text, keep=("ghcr.io/acme",))

    return [
        package_lock, yarn_lock, pnpm_lock, poetry_lock, go_sum, cargo_lock, checksums,
        data_uri, env_example, env_references, python_env, k8s_refs, tests_about_passwords,
        java_code, typescript, git_history, docs, terraform, helm_values,
    ]  # fmt: skip


def clean(count: int, seed: int = 21) -> list[Sample]:
    """``count`` secret-free files, cycling through the templates."""
    g = Gen(random.Random(seed))
    templates = _clean(g)
    return [templates[i % len(templates)]() for i in range(count)]
