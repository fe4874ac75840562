"""The console's HTTP function serves only files of the built bundle, and every answer carries
a strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.console import bundle_file, security_headers
from shared.domain.errors import NotFound


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "chunks").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>")
    (root / "chunks" / "a.js").write_text("export {}")
    (root / ".hidden").write_text("no")
    (tmp_path / "secret.txt").write_text("outside")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    return root


def test_the_root_is_the_index_and_nested_files_are_served(bundle):
    assert bundle_file("", bundle) == bundle.resolve() / "index.html"
    assert bundle_file("chunks/a.js", bundle).read_text() == "export {}"


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "chunks/../../secret.txt",
        "chunks/../index.html",  # even inside: no dot segments at all
        "./index.html",
        "/etc/passwd",
        "chunks//a.js",
        "chunks\\a.js",
        "index.html\0.js",
        ".hidden",
        "link.txt",  # a link that leaves the bundle
        "chunks",  # a folder
        "missing.js",
    ],
)
def test_anything_outside_the_bundle_is_not_found(bundle, path):
    with pytest.raises(NotFound):
        bundle_file(path, bundle)


def test_the_policy_allows_only_this_origin_and_the_authority():
    headers = security_headers("https://login.microsoftonline.com/")
    policy = dict(
        part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self' https://login.microsoftonline.com"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
