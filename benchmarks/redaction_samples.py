"""What the redaction benchmark's files are made of: ``Sample`` and the seeded value generator.

Token shapes follow the vendors' documented formats; passwords look like people's passwords;
none of the values is real.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALNUM = string.ascii_letters + string.digits
WORDS = [
    "harbor",
    "maple",
    "falcon",
    "orbit",
    "cactus",
    "velvet",
    "quartz",
    "ember",
    "tundra",
    "lagoon",
    "comet",
    "saffron",
]


@dataclass(frozen=True)
class Sample:
    name: str
    text: str
    secrets: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


class Gen:
    """Secret and non-secret values, from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chars(self, n: int, alphabet: str = ALNUM) -> str:
        core = [self.rng.choice(c) for c in (string.ascii_uppercase, string.ascii_lowercase)]
        core += [self.rng.choice(string.digits)]
        core += [self.rng.choice(alphabet) for _ in range(n - 3)]
        self.rng.shuffle(core)
        return "".join(core)

    def password(self) -> str:
        r = self.rng
        word, other = r.choice(WORDS), r.choice(WORDS)
        forms = (
            f"{word.capitalize()}{r.randrange(10, 9999)}{r.choice('!@#$%&*')}{other}",
            f"{word}{r.randrange(2, 99)}is{other}",
            f"{r.choice('!@#')}{self.chars(14, ALNUM + '!#%^&*')}",
            f"{word[:3]}{r.choice('@$')}{other[:4]}{r.randrange(100, 999)}!",
        )
        return r.choice(forms)

    def host(self) -> str:
        return f"{self.rng.choice(WORDS)}-{self.rng.randrange(1, 99)}.internal.example.com"

    def port(self) -> str:
        return str(self.rng.choice((5432, 3306, 6379, 27017, 1433, 8443)))

    def user(self) -> str:
        return f"svc_{self.rng.choice(WORDS)}{self.rng.randrange(1, 99)}"

    def b64(self, n_bytes: int) -> str:
        return base64.b64encode(self.rng.randbytes(n_bytes)).decode()

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def token(self) -> str:
        """A vendor token of a random kind."""
        r = self.rng
        makers: list[Callable[[], str]] = [
            lambda: "ghp_" + self.chars(36),
            lambda: "github_pat_" + self.chars(22) + "_" + self.chars(59),
            lambda: "glpat-" + self.chars(20),
            lambda: "sk-proj-" + self.chars(48),
            lambda: "sk-ant-api03-" + self.chars(86, ALNUM + "-_") + "AA",
            lambda: "sk_live_" + self.chars(24),
            lambda: "rk_live_" + self.chars(24),
            lambda: "npm_" + self.chars(36),
            lambda: "SG." + self.chars(22, ALNUM + "-_") + "." + self.chars(43, ALNUM + "-_"),
            lambda: (
                f"xoxb-{r.randrange(10**11, 10**12)}-{r.randrange(10**12, 10**13)}-"
                + self.chars(24)
            ),
            lambda: "AIza" + self.chars(35, ALNUM + "-_"),
            lambda: "hf_" + self.chars(34),
            lambda: "dckr_pat_" + self.chars(27, ALNUM + "-_"),
            lambda: f"{r.randrange(10**8, 10**9)}:AA" + self.chars(33, ALNUM + "-_"),
            lambda: "SK" + self.hex(32),
        ]
        return r.choice(makers)()

    def jwt(self) -> str:
        part = lambda n: base64.urlsafe_b64encode(self.rng.randbytes(n)).decode().rstrip("=")  # noqa: E731
        return "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ" + part(60) + "." + part(64)

    def pem(self) -> str:
        key = ec.derive_private_key(self.rng.getrandbits(250) + 1, ec.SECP256R1())
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
