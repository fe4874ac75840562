"""Secrets recognised by the name they are assigned to, in configuration files and code.

Forms (each a ``Detector`` of kind ``secret-assignment``):

- a quoted value after a name and ``=``, ``:``, ``=>`` or ``:=``: JSON, TOML, YAML, code in any
  language (``"password": "..."``, ``api_key = "..."``, ``Password: "...",``), Python
  annotations included (``token: str = "..."``); also a setter's argument
  (``setPassword("...")``, not ``get_secret("name")``) and a pair of arguments
  (``put("password", "...")``, not a list of strings);
- an unquoted value filling the rest of a line after ``NAME=`` or ``NAME:``: ``.env``, INI,
  Java properties, YAML, Dockerfile ``ENV``, docker-compose ``- NAME=value`` lists (also as an
  added or removed line of a diff);
- ``NAME=value`` inside a quoted string (docker-compose, shell), or before a command
  (``PGPASSWORD=... psql``, ``docker run -e TOKEN=...``);
- command-line flags: ``--password=value``, ``--token value``;
- name/value pairs: Kubernetes and ECS ``env`` entries (``name: DB_PASSWORD`` then
  ``value: ...``), XML ``<password>...</password>`` and ``key="ApiKey" value="..."``.

A name is secret when one of its words (split at punctuation and camelCase) is one of
``SECRET_WORDS``, or is ``key`` after a qualifier (``api``, ``access``, ``private``...), unless its
last word says it is about the secret, not the secret (``password_min_length``, ``token_url``,
``secret_name``), or its first word that the secret is kept elsewhere (``existingSecret``).
A value is not a secret when it is a placeholder or an environment reference
(``shared.policies.secret_shapes.is_placeholder``), code (a call, a subscript, a dotted or
secret-named identifier, a type), the name of a variable or of a stored secret
(``OPENAI_API_KEY``, ``openai-api-key``), a version, prose, or shorter than ``MIN_LENGTH``.
A structured connection string is left to the shape detectors, which take only its password.
"""

from __future__ import annotations

import re

from shared.policies.secret_shapes import Detector, is_placeholder

MIN_LENGTH = 6
KIND = "secret-assignment"


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


SECRET_WORDS = _word_set(
    "password passwd pwd pass passphrase passcode secret token apikey credential credentials "
    "connectionstring connstr privatekey secretkey accesskey authtoken"
)
KEY_QUALIFIERS = _word_set(
    "api access private secret signing encryption master account storage client app auth shared "
    "webhook hmac jwt license subscription consumer service sas deploy ssh session cookie "
    "encrypt crypt"
)
NOT_SECRET_LAST = _word_set(
    "url uri urls endpoint path file filename dir name names id ids type types length len min max "
    "policy policies expiry expires expiration ttl timeout header headers field fields env var "
    "enabled required regex pattern hint label prompt message count size format mode version "
    "algorithm alg kind ref reference location provider store vault rotation age lifetime source "
    "hash hashed prefix reset confirmation strength validation chars characters digits complexity "
    "history attempts retries scope scopes audience issuer method usage limit budget tokens stdin "
    "file command cmd helper manager storage backend auth authentication endpoint flow grant "
    "placeholder description desc title help error errors text input selector template"
)
#: First words that make the name about a secret kept elsewhere (``existingSecret: app-db``).
NOT_SECRET_FIRST = _word_set(
    "existing external use enable create generate rotate require min max num"
)
_GLUED_SUFFIXES = ("password", "passwd", "secret", "token", "apikey")
_SECRETISH = SECRET_WORDS | KEY_QUALIFIERS | NOT_SECRET_LAST | {"key", "keys"}
_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_TYPES = _word_set(
    "str string bytes int bool boolean secretstr optional none null nil undefined true false yes "
    "no on off char object any"
)
_CODE = re.compile(
    r"""^(?:
        [A-Za-z_$@][\w$]*(?:(?:\.|::|->|\?\.)[A-Za-z_$][\w$]*)*\s*[(\[].*  # a call or subscript
      | [A-Za-z_$][\w$]*(?:(?:\.|::|->|\?\.)[A-Za-z_$][\w$]*)+[;,)]?       # a dotted name
      | (?:new|await|this|self|function|lambda|async)\b.*                   # an expression
    )$""",
    re.VERBOSE,
)
_SLUG = re.compile(r"^[a-z]+(?:[-_.][a-z]+)+$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_STRUCTURED = re.compile(r"[;=@]|://")
_VERSION = re.compile(r"^[\^~<>=v]*\d+(?:\.[\dxX*]+)+(?:[-+.]\w+)*$")

_NAME = r"(?<![\w@/.\-$])(?P<name>[A-Za-z_$][\w.\-$]*)"
_QUOTED = re.compile(
    _NAME + r"(?P<q1>[\"'`]?)\]?\s*(?::\s*[\w\[\], |.]+?\s*)?(?P<sep>=|:|=>|:=|\(|,)[ \t]*"
    r"[bruf@]?(?P<q>[\"'`])(?P<value>[^\"'`\r\n]+)(?P=q)"
)
_LINE = re.compile(
    r"(?m)^[+\-]?[ \t]*(?:export[ \t]+|set[ \t]+|(?:ENV|ARG)[ \t]+|-[ \t]+)?[\"']?"
    + _NAME
    + r"[\"']?[ \t]*[=:][ \t]*(?P<value>(?:#(?=\S)|[^\s\"'`#;|>&=])[^\r\n]*?)"
    + r"[ \t]*(?:[ \t]#.*)?\r?$"
)
_INLINE_ENV = re.compile(
    r"(?:^|(?<=[\s;&|(]))(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>[^\s\"'`$;|&()]+)(?=[ \t]+\S)",
    re.MULTILINE,
)
_EMBEDDED = re.compile(r"[\"']" + _NAME + r"=(?P<value>[^\"'\s]+)[\"']")
_FLAG = re.compile(
    r"(?<![\w-])--?(?P<name>[A-Za-z][\w\-]*)(?:=|[ \t]+)(?P<q>[\"']?)(?P<value>[^\s\"'`]+)(?P=q)"
)
_PAIR = re.compile(
    r"(?im)[\"']?name[\"']?\s*[:=]\s*[\"']?(?P<name>[\w.\-]+)[\"']?\s*,?\s*\n?\s*"
    r"[\"']?value[\"']?\s*[:=]\s*(?P<q>[\"']?)(?P<value>[^\s\"'][^\"'\r\n]*?)(?P=q)\s*(?:[,}\]]|$)",
)
_XML = re.compile(r"<(?P<name>[A-Za-z_][\w.\-]*)>(?P<value>[^<\s]+)</(?P=name)>")
_XML_ATTRS = re.compile(r"(?:key|name)=\"(?P<name>[\w.:\-]+)\"\s+value=\"(?P<value>[^\"]+)\"")


def words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.split(name) if w]


def is_secret_name(name: str) -> bool:
    """Whether ``name`` (a variable, key, property or flag) names a secret: see the module."""
    parts = words(name)
    if not parts or parts[-1] in NOT_SECRET_LAST or parts[0] in NOT_SECRET_FIRST:
        return False
    if parts in (["auth"], ["key"]):
        return parts == ["auth"] or name.startswith("_")  # docker's "auth", npm's "_key"
    pairs = zip(["", *parts], parts, strict=False)
    return parts != ["pwd"] and any(  # $PWD is the working directory
        part in SECRET_WORDS
        or part.endswith(_GLUED_SUFFIXES)  # PGPASSWORD, authtoken, clientsecret
        or (part == "key" and before in KEY_QUALIFIERS)
        or (part == "string" and before == "connection")
        for before, part in pairs
    )


def _names_a_secret(value: str) -> bool:
    """``openai-api-key``, ``webhook-azure-devops-header``: a lowercase name, without digits,
    made of words about secrets (``correct-horse-battery-staple`` is not one)."""
    if not _SLUG.match(value):
        return False
    return any(w in _SECRETISH for w in words(value))


def _looks_like_code(bare: str) -> bool:
    """A type, an expression, or a variable named like a secret (``password = db_password``)."""
    return (
        bare.lower() in _TYPES
        or _CODE.match(bare) is not None
        or (
            re.fullmatch(r"[A-Za-z_$][\w$]*", bare) is not None
            and any(w in SECRET_WORDS for w in words(bare))
        )
    )


def is_secret_value(value: str, *, quoted: bool) -> bool:
    """Whether ``value`` assigned to a secret name is a secret: see the module."""
    bare = value.strip() if quoted else value.strip().rstrip(";,)")
    spaces = sum(c.isspace() for c in bare)
    if (
        len(bare) < MIN_LENGTH
        or is_placeholder(bare)
        or _VERSION.match(bare)
        or (spaces and not quoted)
        or spaces > 1  # prose ("the password of the user"), not a credential
        or _ENV_NAME.match(bare)  # the name of a variable
        or _names_a_secret(bare)  # the name of a secret in a store: "openai-api-key"
        or (not quoted and _looks_like_code(bare))
    ):
        return False
    return not any(w in SECRET_WORDS for w in words(bare)) or any(c.isdigit() for c in bare)


def _named_secret(name: str, value: str, *, quoted: bool) -> bool:
    """A structured connection string (``k=v;`` pairs, a URL) is left to the shape detectors,
    which take only its password: its hosts and names survive."""
    if not is_secret_name(name):
        return False
    parts = words(name)
    if ("connection" in parts or "connectionstring" in parts or "connstr" in parts) and (
        _STRUCTURED.search(value)
    ):
        return False
    return is_secret_value(value, quoted=quoted)


def _quoted_value(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    if groups.get("sep") == "(" and words(match["name"])[:1] not in (["set"], ["with"]):
        return False  # get_secret("payments/stripe") names a secret; setPassword("...") sets one
    if groups.get("sep") == "," and not re.search(
        r"\(\s*[\"']$", match.string[max(0, match.start() - 8) : match.start()]
    ):
        return False  # only put("password", "x") / getenv("TOKEN", "x"); not a list of strings
    return _named_secret(match["name"], match["value"], quoted=True)


def _bare_value(match: re.Match[str]) -> bool:
    return _named_secret(match["name"], match["value"], quoted=False)


def _flag_value(match: re.Match[str]) -> bool:
    return _named_secret(match["name"], match["value"], quoted=bool(match["q"]))


NAMED: tuple[Detector, ...] = (
    Detector(KIND, _PAIR, "value", _flag_value),
    Detector(KIND, _QUOTED, "value", _quoted_value),
    Detector(KIND, _EMBEDDED, "value", _bare_value),
    Detector(KIND, _LINE, "value", _bare_value),
    Detector(KIND, _INLINE_ENV, "value", _bare_value),
    Detector(KIND, _FLAG, "value", _flag_value),
    Detector(KIND, _XML, "value", _quoted_value),
    Detector(KIND, _XML_ATTRS, "value", _quoted_value),
)
