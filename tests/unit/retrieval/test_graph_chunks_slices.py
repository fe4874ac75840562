"""Symbol chunks, the symbol graph, incremental updates and slice packing."""

from __future__ import annotations

from shared.retrieval.chunks import chunk_file, imports
from shared.retrieval.graph import SymbolGraph, module_name
from shared.retrieval.index import RepoIndex
from shared.retrieval.slices import pack

SESSION = '''"""Sessions."""
import json

from app.cookies import parse_cookie


class SessionStore(Base):
    """Keeps sessions."""

    ttl = 30

    def load(self, raw):
        # the cookie carries the id
        return parse_cookie(raw)

    def save(self, session):
        return json.dumps(session)
'''
COOKIES = (
    'def parse_cookie(header):\n    """Split a Cookie header."""\n    return header.split(";")\n'
)
FILES = {"src/app/session.py": SESSION, "src/app/cookies.py": COOKIES, "README.md": "# App\n"}


def test_python_is_cut_per_symbol_with_enclosing_signatures() -> None:
    chunks = {c.name: c for c in chunk_file("src/app/session.py", SESSION)}
    assert set(chunks) == {"", "SessionStore", "SessionStore.load", "SessionStore.save"}
    load = chunks["SessionStore.load"]
    assert (load.start, load.end, load.kind) == (12, 14, "function")
    assert load.context == ("class SessionStore(Base):",)
    assert load.comments() == "the cookie carries the id"
    assert chunks["SessionStore"].doc == "Keeps sessions."
    assert chunks[""].kind == "module" and "import json" in chunks[""].text


def test_unparsable_python_and_other_files_fall_back_to_line_blocks() -> None:
    chunks = chunk_file("broken.py", "def (:\n" * 70)
    assert [(c.start, c.end, c.kind) for c in chunks] == [(1, 60, "block"), (61, 70, "block")]


def test_imports_and_module_names() -> None:
    assert imports(SESSION) == {"json", "app.cookies", "app.cookies.parse_cookie"}
    assert module_name("src/app/__init__.py") == "app"
    assert module_name("lib/app/session.py") == "app.session"


def test_graph_points_at_the_definition_then_its_importers() -> None:
    graph = SymbolGraph()
    for path, text in FILES.items():
        graph.put(path, text, chunk_file(path, text))
    scores, why = graph.scores("parse_cookie() drops empty values")
    assert max(scores, key=scores.__getitem__) == "src/app/cookies.py"
    assert why["src/app/cookies.py"] == ["defines parse_cookie"]
    assert 0 < scores["src/app/session.py"] < scores["src/app/cookies.py"]
    graph.remove("src/app/cookies.py")
    assert graph.defining("parse_cookie") == set()


def test_update_reindexes_only_the_changed_files() -> None:
    index = RepoIndex()
    index.update(FILES)
    assert index.rank_files("parse_cookie", k=1)[0].id == "src/app/cookies.py"
    index.update({"src/app/cookies.py": None, "src/app/jar.py": COOKIES})
    assert "src/app/cookies.py" not in index.chunks
    assert index.rank_files("parse_cookie", k=1)[0].id == "src/app/jar.py"
    assert index.graph.defining("parse_cookie") == {"src/app/jar.py"}


def test_slices_carry_signatures_fit_the_budget_and_say_why() -> None:
    index = RepoIndex()
    index.update(FILES)
    hits = index.rank_chunks("session load from the cookie", k=10)
    packed = pack(index, hits, budget_tokens=60)
    assert list(packed) == ["src/app/session.py"]
    piece = packed["src/app/session.py"][0]
    assert piece.text.startswith(
        "# src/app/session.py lines 12-14 (function SessionStore.load)\n"
        "class SessionStore(Base):\n    ...\n    def load(self, raw):"
    )
    assert sum(s.tokens for s in packed["src/app/session.py"]) <= 60
    assert piece.lineage()["why"] and piece.lineage()["lines"] == "12-14"
