"""Realistic files with planted secrets, generated from a seed (none of the secrets is real).

Each ``Sample`` is a file's name and text, the secrets planted in it (each must be gone after
redaction) and non-secret values (hosts, ports, user names) that must survive.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable

from benchmarks.redaction_samples import ALNUM, WORDS, Gen, Sample


def _planted(g: Gen) -> list[Callable[[], Sample]]:
    """Templates of files with secrets; each call makes a new file with new values."""

    def env() -> Sample:
        pw, key, h, p, u = g.password(), g.token(), g.host(), g.port(), g.user()
        text = f"# local\nDB_HOST={h}\nDB_PORT={p}\nDB_USER={u}\nDB_PASSWORD={pw}\nAPI_KEY={key}\n"
        return Sample(".env", text, (pw, key), (h, p, u))

    def ini() -> Sample:
        pw, h, p, u = g.password(), g.host(), g.port(), g.user()
        text = f"[client]\nuser = {u}\npassword = {pw}\nhost = {h}\nport = {p}\n"
        return Sample("my.cnf", text, (pw,), (h, p, u))

    def properties() -> Sample:
        pw, secret, h, p, u = g.password(), g.chars(40), g.host(), g.port(), g.user()
        text = (
            f"spring.datasource.url=jdbc:postgresql://{h}:{p}/orders\n"
            f"spring.datasource.username={u}\nspring.datasource.password={pw}\n"
            f"app.jwt.secret={secret}\nserver.port=8080\n"
        )
        return Sample("application.properties", text, (pw, secret), (h, p, u))

    def yaml() -> Sample:
        pw, tok, h, u = g.password(), g.token(), g.host(), g.user()
        text = (
            f"spring:\n  datasource:\n    url: jdbc:mysql://{h}:3306/shop\n    username: {u}\n"
            f"    password: {pw}\nintegrations:\n  payments:\n    api-key: {tok}\n"
        )
        return Sample("application.yml", text, (pw, tok), (h, u))

    def appsettings() -> Sample:
        pw, tok, h, u = g.password(), g.token(), g.host(), g.user()
        doc = {
            "ConnectionStrings": {"Default": f"Server={h};Database=app;User Id={u};Password={pw};"},
            "SendGrid": {"ApiKey": tok},
            "Logging": {"LogLevel": {"Default": "Information"}},
        }
        return Sample("appsettings.json", json.dumps(doc, indent=2), (pw, tok), (h, u))

    def toml() -> Sample:
        pw, tok, h, p = g.password(), g.token(), g.host(), g.port()
        text = (
            f'[database]\nhost = "{h}"\nport = {p}\npassword = "{pw}"\n\n'
            f'[github]\ntoken = "{tok}"\norg = "acme"\n'
        )
        return Sample("config.toml", text, (pw, tok), (h, p))

    def python() -> Sample:
        secret, tok, pw, h, u = (
            g.chars(50, ALNUM + "!@#%^&*(-_=+)"),
            g.token(),
            g.password(),
            g.host(),
            g.user(),
        )
        text = (
            f'import requests\n\nSECRET_KEY = "{secret}"\n'
            f'DATABASE_URL = "postgresql://{u}:{pw}@{h}:5432/app"\n\n\n'
            f'def fetch(url):\n    headers = {{"Authorization": "Bearer {tok}"}}\n'
            "    return requests.get(url, headers=headers, timeout=10)\n"
        )
        return Sample("settings.py", text, (secret, pw, tok), (h, u))

    def javascript() -> Sample:
        tok, pw, u = g.token(), g.password(), g.user()
        text = (
            f"const apiKey = '{tok}';\n"
            f"export const db = {{ user: '{u}', password: '{pw}', max: 10 }};\n"
            "export async function call(url) {\n"
            "  return fetch(url, { headers: { 'X-Api-Key': apiKey } });\n}\n"
        )
        return Sample("config.js", text, (tok, pw), (u,))

    def java() -> Sample:
        pw, tok, h = g.password(), g.token(), g.host()
        text = (
            "public final class Config {\n"
            f'    private static final String DB_PASSWORD = "{pw}";\n'
            f'    private static final String STRIPE_KEY = "{tok}";\n'
            f'    static final String URL = "jdbc:sqlserver://{h};databaseName=app";\n}}\n'
        )
        return Sample("Config.java", text, (pw, tok), (h,))

    def golang() -> Sample:
        tok, pw, u = g.token(), g.password(), g.user()
        text = (
            'package main\n\nconst apiToken = "' + tok + '"\n\n'
            "func conn() Config {\n"
            f'\treturn Config{{User: "{u}", Password: "{pw}", Port: 5432}}\n}}\n'
        )
        return Sample("main.go", text, (tok, pw), (u,))

    def github_actions() -> Sample:
        npm, bearer = "npm_" + g.chars(36), g.chars(40, ALNUM + "-_.")
        text = (
            "name: release\non: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n"
            f"    env:\n      NPM_TOKEN: {npm}\n    steps:\n      - uses: actions/checkout@v4\n"
            f'      - run: curl -H "Authorization: Bearer {bearer}" https://api.example.com/hook\n'
        )
        return Sample(".github/workflows/release.yml", text, (npm, bearer))

    def gitlab_ci() -> Sample:
        tok, pw, u = g.token(), g.password(), g.user()
        text = (
            f'variables:\n  SENDGRID_API_KEY: "{tok}"\n  REGISTRY_USER: {u}\n'
            "deploy:\n  script:\n"
            f"    - docker login --username {u} --password {pw} registry.example.com\n"
        )
        return Sample(".gitlab-ci.yml", text, (tok, pw), (u,))

    def compose() -> Sample:
        pw, root, u, p = g.password(), g.password(), g.user(), g.port()
        text = (
            "services:\n  db:\n    image: postgres:16\n    environment:\n"
            f"      - POSTGRES_USER={u}\n      - POSTGRES_PASSWORD={pw}\n    ports:\n"
            f'      - "{p}:{p}"\n  cache:\n    image: mysql:8\n    environment:\n'
            f"      MYSQL_ROOT_PASSWORD: {root}\n"
        )
        return Sample("docker-compose.yml", text, (pw, root), (u, p))

    def k8s_secret() -> Sample:
        pw, tok = g.password(), g.b64(32)
        text = (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-db\ntype: Opaque\n"
            f"stringData:\n  password: {pw}\ndata:\n  token: {tok}\n"
        )
        return Sample("k8s/secret.yaml", text, (pw, tok), ("app-db",))

    def k8s_deployment() -> Sample:
        pw, h = g.password(), g.host()
        text = (
            "spec:\n  containers:\n    - name: api\n      env:\n"
            f'        - name: DB_HOST\n          value: "{h}"\n'
            f'        - name: DB_PASSWORD\n          value: "{pw}"\n'
        )
        return Sample("k8s/deployment.yaml", text, (pw,), (h,))

    def tfvars() -> Sample:
        pw, cs = g.password(), g.chars(3) + "8Q~" + g.chars(34, ALNUM + "_~.")
        text = f'location      = "westeurope"\ndb_password   = "{pw}"\nclient_secret = "{cs}"\n'
        return Sample("prod.tfvars", text, (pw, cs), ("westeurope",))

    def npmrc() -> Sample:
        tok = "npm_" + g.chars(36)
        text = f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={tok}\n"
        return Sample(".npmrc", text, (tok,), ("registry.npmjs.org",))

    def service_account() -> Sample:
        pem, email = g.pem(), f"deploy@{g.rng.choice(WORDS)}-prod.iam.gserviceaccount.com"
        doc = {
            "type": "service_account",
            "private_key_id": g.hex(40),
            "private_key": pem,
            "client_email": email,
        }
        body = pem.split("\n")[1]
        return Sample("sa.json", json.dumps(doc, indent=2), (body,), (email,))

    def maven() -> Sample:
        pw, u = g.password(), g.user()
        text = (
            "<settings>\n  <servers>\n    <server>\n      <id>releases</id>\n"
            f"      <username>{u}</username>\n      <password>{pw}</password>\n"
            "    </server>\n  </servers>\n</settings>\n"
        )
        return Sample("settings.xml", text, (pw,), (u,))

    def azure_storage() -> Sample:
        key, account = g.b64(64), f"st{g.rng.choice(WORDS)}{g.rng.randrange(10, 99)}"
        doc = {
            "IsEncrypted": False,
            "Values": {
                "AzureWebJobsStorage": f"DefaultEndpointsProtocol=https;AccountName={account};"
                f"AccountKey={key};EndpointSuffix=core.windows.net",
                "FUNCTIONS_WORKER_RUNTIME": "python",
            },
        }
        return Sample("local.settings.json", json.dumps(doc, indent=2), (key,), (account,))

    def shell() -> Sample:
        akid = "AKIA" + "".join(g.rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
        secret = g.chars(40, ALNUM + "/+")
        text = (
            "#!/bin/sh\nset -eu\nexport AWS_REGION=eu-west-1\n"
            f"export AWS_ACCESS_KEY_ID={akid}\nexport AWS_SECRET_ACCESS_KEY={secret}\n"
            "aws s3 sync ./dist s3://site\n"
        )
        return Sample("deploy.sh", text, (akid, secret), ("eu-west-1",))

    def readme() -> Sample:
        u, pw = g.user(), g.password()
        basic = base64.b64encode(f"{u}:{pw}".encode()).decode()
        jwt = g.jwt()
        text = (
            "## Calling the API\n\n```sh\n"
            f'curl -H "Authorization: Basic {basic}" https://api.example.com/v1/orders\n'
            f'curl -H "Authorization: Bearer {jwt}" https://api.example.com/v1/me\n```\n'
        )
        return Sample("README.md", text, (basic, jwt))

    def php() -> Sample:
        pw, h = g.password(), g.host()
        text = (
            f"<?php\nreturn [\n    'host' => '{h}',\n    'password' => '{pw}',\n"
            "    'charset' => 'utf8mb4',\n];\n"
        )
        return Sample("database.php", text, (pw,), (h,))

    def csharp() -> Sample:
        tok, url = (
            g.token(),
            f"https://hooks.slack.com/services/T{g.chars(8).upper()}/B{g.chars(8).upper()}/{g.chars(24)}",
        )
        text = (
            "public class Notifier {\n"
            f'    private const string ApiKey = "{tok}";\n'
            f'    private const string Hook = "{url}";\n}}\n'
        )
        return Sample("Notifier.cs", text, (tok, url.rsplit("/", 1)[1]))

    def ruby() -> Sample:
        base = g.hex(128)
        text = f'Rails.application.configure do\n  config.secret_key_base = "{base}"\nend\n'
        return Sample("config/environments/production.rb", text, (base,))

    def ops_script() -> Sample:
        pw, tok, h, u = g.password(), g.token(), g.host(), g.user()
        text = (
            f"#!/bin/sh\nPGPASSWORD='{pw}' psql -h {h} -U {u} -c 'select 1'\n"
            f"docker run --rm -e API_TOKEN={tok} -p 8080:8080 ghcr.io/acme/api\n"
        )
        return Sample("scripts/smoke.sh", text, (pw, tok), (h, u))

    def netrc() -> Sample:
        pw, u = g.password(), g.user()
        text = f"machine git.example.com\n  login {u}\n  password {pw}\n"
        return Sample(".netrc", text, (pw,), (u, "git.example.com"))

    def redis_url() -> Sample:
        pw, h = g.chars(24), g.host()
        text = f"import redis\n\ncache = redis.from_url('redis://:{pw}@{h}:6379/0')\n"
        return Sample("cache.py", text, (pw,), (h,))

    def pem_file() -> Sample:
        pem = g.pem()
        return Sample("id_ecdsa", pem, (pem.split("\n")[1],))

    return [
        env, ini, properties, yaml, appsettings, toml, python, javascript, java, golang,
        github_actions, gitlab_ci, compose, k8s_secret, k8s_deployment, tfvars, npmrc,
        service_account, maven, azure_storage, shell, readme, php, csharp, ruby, pem_file,
        ops_script, netrc, redis_url,
    ]  # fmt: skip


def planted(count: int, seed: int = 12) -> list[Sample]:
    """``count`` files with secrets, cycling through the templates."""
    g = Gen(random.Random(seed))
    templates = _planted(g)
    return [templates[i % len(templates)]() for i in range(count)]
