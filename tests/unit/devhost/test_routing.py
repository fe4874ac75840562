"""Route templates match paths as the Functions host (ASP.NET routing) does."""

import pytest

from devhost.routing import MethodNotAllowed, Router, RouteTemplate, RouteTemplateError


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("api/items/{id}", "/api/items/42", {"id": "42"}),
        ("api/items/{id}", "/API/Items/42/", {"id": "42"}),
        ("api/items/{id}", "/api/items", None),
        ("api/items/{id?}", "/api/items", {}),
        ("api/items/{id?}", "/api/items/7", {"id": "7"}),
        ("api/items/{id:int}", "/api/items/x", None),
        ("api/items/{id:int}", "/api/items/-3", {"id": "-3"}),
        ("api/items/{id:int}", "/api/items/99999999999", None),
        ("api/items/{id:long}", "/api/items/99999999999", {"id": "99999999999"}),
        ("api/items/{id:int:min(5)}", "/api/items/4", None),
        ("api/items/{id:int:range(1,9)}", "/api/items/9", {"id": "9"}),
        ("api/items/{name:alpha:maxlength(3)}", "/api/items/abcd", None),
        (
            "api/items/{key:guid}",
            "/api/items/0b5d4f4e-7d59-4a55-92a3-8f8c7b1e5d11",
            {"key": "0b5d4f4e-7d59-4a55-92a3-8f8c7b1e5d11"},
        ),
        ("api/files/{*rest}", "/api/files/a/b/c.txt", {"rest": "a/b/c.txt"}),
        ("api/files/{*rest}", "/api/files", {}),
        ("api/files/{name}.{ext}", "/api/files/report.pdf", {"name": "report", "ext": "pdf"}),
        ("", "/", {}),
    ],
)
def test_template_matches_like_the_host(template, path, expected):
    assert RouteTemplate(template).match(path) == expected


@pytest.mark.parametrize(
    "template",
    ["api/{*rest}/more", "api/{id:nosuch}", "api/{a}/{A}", "api/{a?}.json", "api/{bad name}"],
)
def test_invalid_templates_are_refused(template):
    with pytest.raises(RouteTemplateError):
        RouteTemplate(template)


def test_literal_segments_win_over_parameters_and_catch_all():
    router: Router[str] = Router()
    router.add("api/{*rest}", None, "catch-all")
    router.add("api/items/{id}", ["GET"], "param")
    router.add("api/items/special", ["GET"], "literal")
    router.add("api/items/{id:int}", ["GET"], "constrained")
    assert router.resolve("GET", "/api/items/special").target == "literal"
    assert router.resolve("GET", "/api/items/12").target == "constrained"
    assert router.resolve("GET", "/api/items/abc").target == "param"
    assert router.resolve("GET", "/api/other/x").target == "catch-all"


def test_unmatched_path_is_none_and_wrong_method_is_405():
    router: Router[str] = Router()
    router.add("api/echo", ["POST"], "echo")
    router.add("api/echo", ["PUT"], "echo-put")
    assert router.resolve("GET", "/api/nothing") is None
    with pytest.raises(MethodNotAllowed) as caught:
        router.resolve("GET", "/api/echo")
    assert caught.value.allowed == ["POST", "PUT"]
    assert router.resolve("put", "/api/echo").target == "echo-put"
