"""Identifier-aware tokens, the one vocabulary shared by every lexical ranker and the graph.

``parseCookieHeader``, ``parse_cookie_header`` and "parse the cookie header" must meet: words are
split at underscores, digits and CamelCase humps, lowercased, lightly stemmed (plural and
``-ing``/``-ed`` endings) and stripped of English and Python stop words. A compound identifier
also yields itself whole, so an exact mention of a symbol outranks its parts alone.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_HUMP = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_STOP_WORDS = (
    "a an and are as at be but by can do does for from has have if in into is it its not of on"
    " or so that the their then there these this to was were when which while will with you your"
    " def class self cls return none true false import pass elif else try except finally raise"
    " lambda yield async await global nonlocal del assert also now no new use used using only"
    " fix fixed fixes added changed issue issues pr version released unreleased"
    " should would could may might must than other some more most"
)
_STOP = frozenset(_STOP_WORDS.split())


def stem(word: str) -> str:
    """A deliberately small stemmer: enough to meet "parsing"/"parse"/"parses"/"parsed" and
    "cookie"/"cookies", no more (one suffix off, then a final "e")."""
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def split_identifier(word: str) -> list[str]:
    """The lowercase parts of one identifier (``HTTPServer_v2`` -> http, server, v, 2)."""
    return [p.lower() for part in word.split("_") for p in _HUMP.findall(part)]


def tokens(text: str) -> list[str]:
    """Stemmed tokens of ``text``, in order, with each compound identifier also kept whole."""
    out: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        parts = [stem(p) for p in split_identifier(word) if len(p) > 1 and p not in _STOP]
        out.extend(parts)
        whole = word.lower().strip("_")
        if len(parts) > 1 and whole not in _STOP:
            out.append(whole)
    return out


def identifiers(text: str) -> set[str]:
    """The raw identifiers ``text`` mentions, lowercased (for matching symbol names)."""
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in _STOP}
