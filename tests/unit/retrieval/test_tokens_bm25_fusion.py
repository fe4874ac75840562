"""Identifier-aware tokens, BM25F field weighting and reciprocal rank fusion."""

from __future__ import annotations

from shared.retrieval.bm25 import Bm25f
from shared.retrieval.fusion import ranked, rrf
from shared.retrieval.tokens import identifiers, split_identifier, tokens


def test_snake_camel_and_acronyms_split_lowercased_and_compounds_kept_whole() -> None:
    assert split_identifier("HTTPServer_v2") == ["http", "server", "v", "2"]
    assert split_identifier("parseCookieHeader") == ["parse", "cookie", "header"]
    assert tokens("parse_cookie_header") == ["pars", "cooki", "header", "parse_cookie_header"]
    assert tokens("parsing the Cookies") == ["pars", "cooki"]
    assert tokens("parses") == tokens("parsing") == tokens("parsed")


def test_stop_words_drop_but_identifiers_stay_raw() -> None:
    assert tokens("the self return of it") == []
    assert identifiers("Fix `echo()` for Group.command") == {"echo", "group", "command"}


def test_bm25f_weights_fields_and_prefers_rare_terms() -> None:
    index = Bm25f({"path": 3.0, "body": 1.0})
    index.put("a", {"path": ["cookie"], "body": ["other"]})
    index.put("b", {"path": ["other"], "body": ["cookie"]})
    index.put("c", {"path": ["other"], "body": ["other", "session"]})
    scores = index.scores(["cookie"])
    assert ranked(scores) == ["a", "b"]
    assert index.idf("session") > index.idf("other")


def test_bm25f_remove_and_replace_update_statistics() -> None:
    index = Bm25f({"body": 1.0})
    index.put("a", {"body": ["cookie"]})
    index.put("b", {"body": ["session"]})
    index.remove("a")
    assert index.scores(["cookie"]) == {}
    index.put("b", {"body": ["cookie"]})
    assert list(index.scores(["cookie"])) == ["b"]
    assert len(index) == 1


def test_rrf_rewards_agreement_and_honours_weights() -> None:
    fused = rrf({"x": ["a", "b", "c"], "y": ["b", "c", "a"]}, k=10)
    assert ranked(fused)[0] == "b"
    weighted = rrf({"x": ["a", "b"], "y": ["b", "a"]}, {"x": 2.0, "y": 1.0}, k=10)
    assert ranked(weighted) == ["a", "b"]
