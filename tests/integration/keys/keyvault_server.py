"""A local Azure Key Vault for adapter tests: HTTPS, the bearer challenge, secrets and RSA keys.

It speaks the documented REST protocol (``/secrets/{name}[/{version}]``, ``/keys/{name}/create``,
``/keys/{name}[/{version}]``, ``/keys/{name}/{version}/unwrapkey``) with response bodies shaped
like the REST reference's examples, and a real RSA key per version so unwrapping really works.
Requests without the test token get ``401`` with a ``WWW-Authenticate`` challenge, as the
service does; ``fail_next`` queues an error response to test error mapping.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

TOKEN = "local-test-token"  # a token only this test server accepts
CHALLENGE = (
    'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",'
    ' resource="https://vault.azure.net"'
)
OAEP_256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class StaticTokenCredential:
    """A ``TokenCredential`` that hands out the server's token and records requested scopes."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written to ``directory``; the cert is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "vault-cert.pem", directory / "vault-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _attributes() -> dict[str, Any]:
    now = int(time.time())
    return {
        "enabled": True,
        "created": now,
        "updated": now,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
    }


@dataclass
class VaultState:
    url: str = ""
    secrets: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    deleted_secrets: set[str] = field(default_factory=set)
    keys: dict[str, list[tuple[str, rsa.RSAPrivateKey]]] = field(default_factory=dict)
    faults: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def key_bundle(self, name: str, version: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
        numbers = key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {
            "key": {
                "kid": f"{self.url}/keys/{name}/{version}",
                "kty": "RSA",
                "key_ops": ["wrapKey", "unwrapKey", "sign"],
                "n": _b64url(n),
                "e": _b64url(e),
            },
            "attributes": _attributes(),
        }


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _VaultHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0].rstrip("/")
        state = self.server.state
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, _error("Unauthorized", "AKV10000"), {"WWW-Authenticate": CHALLENGE})
            return
        with state.lock:
            state.requests.append((method, path))
            fault = state.faults.pop(0) if state.faults else None
        if fault is not None:
            status, headers = fault
            self._reply(status, _error("Injected", f"injected {status}"), headers)
            return
        body = json.loads(raw) if raw else {}
        status, reply = self._route(method, path, body)
        self._reply(status, reply)

    def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        state = self.server.state
        if match := re.fullmatch(r"/secrets/([0-9A-Za-z-]+)(?:/([0-9a-f]+))?", path):
            return self._secret(method, match[1], match[2], body)
        if match := re.fullmatch(r"/keys/([0-9A-Za-z-]+)/create", path):
            version = uuid.uuid4().hex
            key = rsa.generate_private_key(65537, int(body.get("key_size") or 2048))
            with state.lock:
                state.keys.setdefault(match[1], []).append((version, key))
            return 200, state.key_bundle(match[1], version, key)
        if match := re.fullmatch(
            r"/keys/([0-9A-Za-z-]+)(?:/([0-9A-Za-z]+))?(/unwrapkey|/sign)?", path
        ):
            return self._key(method, match[1], match[2], match[3], body)
        return 405, _error("BadParameter", f"{method} {path} not supported")

    def _key(
        self, method: str, name: str, version: str | None, operation: str | None, body: dict
    ) -> tuple[int, Any]:
        state = self.server.state
        with state.lock:
            versions = dict(state.keys.get(name, []))
            latest = state.keys[name][-1][0] if versions else None
        key = versions.get(version or latest or "")
        if key is None:
            return 404, _error("KeyNotFound", f"A key with (name/id) {name} was not found.")
        if operation is None and method == "GET":
            return 200, state.key_bundle(name, version or latest or "", key)
        if method != "POST" or operation not in ("/unwrapkey", "/sign"):
            return 405, _error("BadParameter", f"{method} on key {name} not supported")
        return self._operate(key, f"{state.url}/keys/{name}/{version}", operation, body)

    @staticmethod
    def _operate(
        key: rsa.RSAPrivateKey, kid: str, operation: str, body: dict[str, Any]
    ) -> tuple[int, Any]:
        value = _unb64url(body["value"])
        if operation == "/sign" and body.get("alg") == "RS256":
            signature = key.sign(value, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
            return 200, {"kid": kid, "value": _b64url(signature)}
        if operation != "/unwrapkey" or body.get("alg") != "RSA-OAEP-256":
            return 400, _error("BadParameter", "Unsupported algorithm")
        try:
            plain = key.decrypt(value, OAEP_256)
        except ValueError:
            return 400, _error("BadParameter", "Error decrypting")
        return 200, {"kid": kid, "value": _b64url(plain)}

    def _secret(
        self, method: str, name: str, version: str | None, body: dict[str, Any]
    ) -> tuple[int, Any]:
        state = self.server.state
        with state.lock:
            versions = state.secrets.get(name, [])
            if method == "PUT":
                if name in state.deleted_secrets:
                    message = f"Secret {name} is currently in a deleted but recoverable state."
                    return 409, _error("Conflict", message)
                versions.append((uuid.uuid4().hex, body["value"]))
                state.secrets[name] = versions
            elif method == "DELETE" and versions:
                del state.secrets[name]
                state.deleted_secrets.add(name)
                return 200, {
                    "recoveryId": f"{state.url}/deletedsecrets/{name}",
                    "deletedDate": int(time.time()),
                    "scheduledPurgeDate": int(time.time()) + 90 * 86400,
                    "id": f"{state.url}/secrets/{name}/{versions[-1][0]}",
                    "attributes": _attributes(),
                }
            found = [v for v in versions if version in (None, v[0])]
        if method not in ("GET", "PUT") or not found:
            return 404, _error("SecretNotFound", f"A secret with (name/id) {name} was not found.")
        secret_version, value = found[-1]
        return 200, {
            "value": value,
            "id": f"{state.url}/secrets/{name}/{secret_version}",
            "attributes": _attributes(),
        }

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


class _VaultHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    state: VaultState


class KeyVaultServer:
    """Run with ``with KeyVaultServer(tmp_dir) as vault:``; ``vault.url``, ``vault.ca_file``."""

    def __init__(self, directory: Path) -> None:
        self.ca_file, key_file = self_signed_certificate(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_file, key_file)
        self._http = _VaultHttpServer(("127.0.0.1", 0), _Handler)
        self._http.socket = context.wrap_socket(self._http.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self._http.server_address[1]}"
        self.state = VaultState(url=self.url)
        self._http.state = self.state
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def client_kwargs(self) -> dict[str, Any]:
        """What an adapter needs to trust this server and accept its challenge resource."""
        return {"connection_verify": str(self.ca_file), "verify_challenge_resource": False}

    def fail_next(self, status: int, headers: dict[str, str] | None = None) -> None:
        with self.state.lock:
            self.state.faults.append((status, headers or {}))

    def __enter__(self) -> KeyVaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()
