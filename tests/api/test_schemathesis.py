"""The API against its own OpenAPI document (schemathesis, stateless): on the demo data with a
department admin's token, no generated request gets a server error and every response matches the
schema the API publishes (status codes, bodies, headers, content types)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tracker import create_app

pytestmark = [pytest.mark.xdist_group("schemathesis"), pytest.mark.slow]


def _published_document() -> dict:
    # The document only: no database is touched to build it.
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_client() as client:
        response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


schema = schemathesis.openapi.from_dict(_published_document())

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, app, tokens):
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {tokens['dept122']}"}, checks=CHECKS)
