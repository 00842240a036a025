"""``/api/v1/openapi.json`` is valid OpenAPI 3 and complete: every route and method, the bearer
scheme, the error responses; the interactive docs are served from this server, no CDN."""

from __future__ import annotations

import re

import jsonschema
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_30

METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH"}


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")

    jsonschema.Draft4Validator(OPENAPI_30).validate(document)


def test_the_validator_would_catch_an_invalid_document(document):
    broken = {**document, "paths": {"/x": {"get": {"responses": "none"}}}}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(OPENAPI_30).validate(broken)


def test_every_api_route_and_method_is_documented(app, document):
    routes = {
        (re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.rule.startswith(("/api/v1/docs", "/api/v1/openapi"))
        for method in rule.methods & METHODS
    }
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {m.lower() for m in METHODS}
    }

    assert routes == documented
    assert len(routes) >= 29


def test_bearer_tokens_are_the_security_scheme_of_every_operation(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "个人 API 令牌（trk_…）",
    }
    assert document["security"] == [{"bearerAuth": []}]


def test_every_operation_documents_its_errors_with_the_error_schema(document):
    error = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert {"401", "429", "500"} <= set(responses), (path, method)
            for code, response in responses.items():
                if code.startswith(("4", "5")) or code == "default":
                    name = response["$ref"].rsplit("/", 1)[-1]
                    assert error[name]["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/reports/{unit}/{year}/{month}", "put", {"412", "428", "409", "422", "404", "403"}),
        ("/api/v1/reports/{unit}/{year}/{month}/approve", "post", {"412", "428", "409", "404", "403"}),
        ("/api/v1/spending", "post", {"403", "422"}),
        ("/api/v1/projects/{code}", "get", {"404"}),
        ("/api/v1/projects", "get", {"422"}),
    ],
)
def test_the_errors_a_route_can_give_are_documented(document, path, method, codes):
    assert codes <= set(document["paths"][path][method]["responses"])


def test_changes_require_if_match_in_the_document(document):
    put = document["paths"]["/api/v1/reports/{unit}/{year}/{month}"]["put"]

    assert {"in": "header", "name": "If-Match", "required": True}.items() <= next(
        p for p in put["parameters"] if p["name"] == "If-Match"
    ).items()
    assert "ETag" in put["responses"]["200"]["headers"]


def test_lists_document_page_arguments_and_the_pagination_header(document):
    get = document["paths"]["/api/v1/projects"]["get"]

    assert {"page", "page_size", "year", "department", "unit"} <= {p["name"] for p in get["parameters"]}
    assert "X-Pagination" in get["responses"]["200"]["headers"]


def test_the_interactive_docs_are_served_locally(client):
    page = client.get("/api/v1/docs/")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    for asset in re.findall(r"(?:src|href)=\"([^\"]+)\"", html):
        assert client.get(asset).status_code == 200, asset
    assert "/api/v1/openapi.json" in client.get("/api/v1/docs/initializer.js").get_data(as_text=True)


def test_the_docs_do_not_serve_arbitrary_files(client):
    assert client.get("/api/v1/docs/assets/../../config.py").status_code == 404
    assert client.get("/api/v1/docs/assets/index.html").status_code == 404
