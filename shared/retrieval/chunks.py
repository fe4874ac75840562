"""Cutting a file into symbol chunks: the unit that is ranked, embedded and packed.

Python files are cut with ``ast``: one chunk per function or method, one per class header (its
signature, docstring and class-level statements), and one for the module's own top level. Each
chunk knows its enclosing signatures (``class Foo(Base):`` above a method) so that a slice can be
shown in place. Other files, and Python that does not parse, are cut into blocks of lines.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

BLOCK_LINES = 60
_COMMENT = re.compile(r"(?:^|\s)(?:#|//|--)\s?(.*)$", re.M)
_MODULE = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+([\w., ()]+)|import\s+([\w., ]+))", re.M)


@dataclass(frozen=True)
class Chunk:
    """Lines ``start``..``end`` (1-based, inclusive) of ``path``; ``name`` is the symbol defined
    (dotted inside classes) or "" for module level and blocks."""

    path: str
    start: int
    end: int
    kind: str
    name: str
    context: tuple[str, ...]
    text: str
    doc: str = ""
    defines: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"

    def comments(self) -> str:
        return "\n".join(_COMMENT.findall(self.text))


def imports(text: str) -> set[str]:
    """Dotted module names a file imports (``from a.b import c`` gives a.b and a.b.c)."""
    found: set[str] = set()
    for frm, names, plain in _MODULE.findall(text):
        if frm:
            base = frm.lstrip(".")
            found.add(base)
            found.update(f"{base}.{n.strip()}" for n in re.split(r"[,() ]+", names) if n.strip())
        else:
            found.update(n.strip().split(" as ")[0] for n in plain.split(",") if n.strip())
    return {f for f in found if f}


def _blocks(path: str, lines: list[str]) -> list[Chunk]:
    chunks = []
    for start in range(0, max(len(lines), 1), BLOCK_LINES):
        body = "\n".join(lines[start : start + BLOCK_LINES])
        if body.strip():
            end = min(start + BLOCK_LINES, len(lines))
            chunks.append(Chunk(path, start + 1, end, "block", "", (), body))
    return chunks


def _signature(lines: list[str], node: ast.ClassDef) -> str:
    """The ``class ...:`` header lines, up to the first statement of its body."""
    body_start = node.body[0].lineno if node.body else node.lineno + 1
    header = lines[node.lineno - 1 : max(node.lineno, body_start - 1)]
    return "\n".join(h.rstrip() for h in header if h.strip())


def _python(path: str, text: str, lines: list[str]) -> list[Chunk]:
    tree = ast.parse(text)
    chunks: list[Chunk] = []
    covered: set[int] = set()

    def visit(body: list[ast.stmt], context: tuple[str, ...], prefix: str) -> None:
        for node in body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            end = node.end_lineno or node.lineno
            name = f"{prefix}{node.name}"
            doc = ast.get_docstring(node) or ""
            if isinstance(node, ast.ClassDef):
                methods = [
                    n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                ]
                head_end = min([m.lineno for m in methods if m.lineno > start] + [end + 1]) - 1
                inner = tuple(
                    n.name
                    for n in ast.walk(node)
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                )
                chunks.append(
                    Chunk(
                        path,
                        start,
                        head_end,
                        "class",
                        name,
                        context,
                        "\n".join(lines[start - 1 : head_end]),
                        doc,
                        inner,
                    )
                )
                covered.update(range(start, head_end + 1))
                visit(node.body, (*context, _signature(lines, node)), f"{name}.")
                continue
            chunks.append(
                Chunk(
                    path,
                    start,
                    end,
                    "function",
                    name,
                    context,
                    "\n".join(lines[start - 1 : end]),
                    doc,
                    (node.name,),
                )
            )
            covered.update(range(start, end + 1))

    visit(tree.body, (), "")
    rest = [i for i in range(1, len(lines) + 1) if i not in covered]
    if rest:
        body = "\n".join(lines[i - 1] for i in rest)
        if body.strip():
            module_doc = ast.get_docstring(tree) or ""
            top = tuple(
                t.id
                for n in tree.body
                if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                if isinstance(t, ast.Name)
            )
            chunks.insert(
                0, Chunk(path, rest[0], rest[-1], "module", "", (), body, module_doc, top)
            )
    return chunks


def chunk_file(path: str, text: str) -> list[Chunk]:
    """The file's chunks, in file order (the module chunk first)."""
    lines = text.splitlines()
    if PurePosixPath(path).suffix == ".py":
        try:
            return _python(path, text, lines)
        except (SyntaxError, ValueError, RecursionError):
            pass
    return _blocks(path, lines)
