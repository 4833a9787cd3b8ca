"""schemathesis against the OpenAPI description at /api/openapi.json: generated requests
to every described operation (a bounded number each) must never get a 5xx or show a
traceback, and an anonymous answer must never hold restricted material. In-process (WSGI)
on the restricted fixture store."""

from __future__ import annotations

import gzip

import pytest
from fixtures.restricted.harness import build_backend, leaks, route_exists
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES_PER_OPERATION = 3


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    app = build_backend(tmp_path_factory.mktemp("schema") / "store", read_token="schemathesis-read-token-x1",
                        rate_limit="", query_timeout=2.0)
    if not route_exists(app, "/api/openapi.json"):
        pytest.skip("/api/openapi.json is not implemented yet")
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def check(case) -> None:
    response = case.call()
    body = response.content
    text = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode("utf-8", "replace")
    assert response.status_code < 500 or (response.status_code == 503 and "time limit" in text), \
        (case.method, case.formatted_path, case.query, response.status_code, text[:300])
    assert "Traceback" not in text
    if response.status_code < 400:
        asked = f"{case.formatted_path} {case.query} {case.body}"
        assert set(leaks(text)) <= set(leaks(asked)), (case.formatted_path, case.query)


def test_no_generated_request_gets_a_server_error(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5, "the OpenAPI description describes almost nothing"
    for operation in operations:
        run = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))(given(case=operation.as_strategy())(check))
        run()
