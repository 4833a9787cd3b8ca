"""Protection on every response (server/web/security.py): headers, rate limits, size caps, and
tokens kept out of logs. Driven through the Flask test client; the real-server checks
(log capture under gunicorn) are in test_security_server.py."""

from __future__ import annotations

import logging

import pytest
from fixtures.restricted.harness import route_exists

from justicegraph.server.app import create_app
from justicegraph.server.web.security import REDACTOR, Redactor
from justicegraph.settings import Settings

READ = "read-tok-3f9a1c"
WRITE = "write-tok-8e2b7d"


def make_app(**overrides):
    values = {"store": "memory", "read_token": READ, "write_token": WRITE}
    values.update(overrides)
    return create_app(Settings.from_env({}, **values))


@pytest.mark.parametrize("path", ["/", "/sparql", "/api/search?q=x", "/no-such-page", "/.well-known/void"])
def test_every_response_carries_security_headers(path):
    response = make_app().test_client().get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"] and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Authorization" in response.headers.get("Vary", "")


def test_answers_to_a_token_holder_are_never_stored_by_caches():
    client = make_app().test_client()
    opened = client.get("/sparql", headers={"Authorization": f"Bearer {READ}"})
    assert "no-store" in opened.headers["Cache-Control"] and "private" in opened.headers["Cache-Control"]


def test_rate_limit_answers_429_in_the_json_error_shape():
    app = make_app(rate_limit="3 per minute")
    if not route_exists(app, "/sparql"):
        pytest.skip("/sparql is not implemented yet (server/sparql.py); the limit applies to real routes")
    client = app.test_client()
    statuses = [client.get("/sparql", query_string={"query": "ASK {}"}).status_code for _ in range(3)]
    assert 429 not in statuses
    refused = client.get("/sparql", query_string={"query": "ASK {}"})
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"]["status"] == 429 and "limit" in body["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0
    # The limit is per client: another address is still served …
    other = client.get("/sparql", query_string={"query": "ASK {}"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code != 429
    # … and it covers search and writes too, one budget per client.
    assert client.get("/api/search", query_string={"q": "x"}).status_code == 429
    assert client.put("/graphs?default", data="", headers={"Authorization": f"Bearer {WRITE}"}).status_code == 429


def test_rate_limit_spares_cheap_routes_and_can_be_turned_off():
    client = make_app(rate_limit="1 per minute").test_client()
    assert [client.get("/healthz").status_code == 429 for _ in range(5)] == [False] * 5
    unlimited = make_app(rate_limit="").test_client()
    assert all(unlimited.get("/sparql?query=ASK{}").status_code != 429 for _ in range(20))


@pytest.mark.parametrize("how", ["get", "form", "direct-query", "direct-update", "form-update"])
def test_query_text_over_the_cap_is_refused_before_parsing(how):
    client = make_app(max_query_length=200).test_client()
    text = "SELECT * { ?s ?p ?o } #" + "x" * 300
    if how == "get":
        response = client.get("/sparql", query_string={"query": text})
    elif how == "form":
        response = client.post("/sparql", data={"query": text})
    elif how == "form-update":
        response = client.post("/sparql", data={"update": text}, headers={"Authorization": f"Bearer {WRITE}"})
    else:
        kind = how.split("-")[1]
        response = client.post("/sparql", data=text.encode(), content_type=f"application/sparql-{kind}")
    assert response.status_code == 413
    assert "limit is 200" in response.get_json()["error"]["message"]


def test_query_text_cap_counts_characters_not_bytes():
    client = make_app(max_query_length=200).test_client()
    text = "ASK { ?s ?p \"" + "ش" * 150 + "\" }"  # 166 characters, over 300 bytes
    assert client.get("/sparql", query_string={"query": text}).status_code != 413


def test_body_over_the_cap_is_refused_with_413():
    client = make_app(max_body=1000).test_client()
    response = client.put("/graphs?default", data=b"<a> <b> <c> .\n" * 200, content_type="text/turtle",
                          headers={"Authorization": f"Bearer {WRITE}"})
    assert response.status_code == 413
    assert "1000 bytes" in response.get_json()["error"]["message"]


def test_redactor_removes_tokens_and_bearer_credentials_from_records():
    redactor = Redactor()
    redactor.add_secrets("s3cr3t-value", "")
    logger = logging.getLogger("justicegraph.test.redaction")
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    logger.addHandler(handler)
    logger.addFilter(redactor)
    try:
        logger.warning("token %s in a message", "s3cr3t-value")
        logger.warning("header Authorization: Bearer other-credential-xyz seen")
        try:
            raise ValueError("failed with s3cr3t-value inside")
        except ValueError:
            logger.exception("with a traceback")
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(redactor)
    text = "\n".join(records)
    assert "s3cr3t-value" not in text and "other-credential-xyz" not in text
    assert text.count("***") >= 3 and "ValueError" in text


@pytest.mark.parametrize("line, kept", [
    ('"GET /x HTTP/1.1" 200 "-" "curl BEARER%20abc.def"', '"GET /x HTTP/1.1" 200 "-" "curl BEARER%20***"'),
    ("Authorization: bEaReR+tok-123;rest", "Authorization: bEaReR+***;rest"),
    ("a word after bearer is taken for a credential", "a word after bearer *** taken for a credential"),
    ("no credential here, Bear", "no credential here, Bear"),
    ("a longer-secret-value and its prefix longer-secret", "a *** and its prefix ***"),
])
def test_redaction_finds_bearer_credentials_in_any_case_and_the_longest_secret_first(line, kept):
    redactor = Redactor()
    redactor.add_secrets("longer-secret")
    redactor.add_secrets("longer-secret-value")  # added later, replaced first: never half-hidden
    assert redactor.redact(line) == kept


def test_app_registers_its_tokens_for_redaction():
    make_app(read_token="fresh-read-token-123")
    assert "fresh-read-token-123" in REDACTOR.secrets
    assert REDACTOR in logging.getLogger("gunicorn.access").filters


def test_short_tokens_are_warned_about(caplog):
    with caplog.at_level(logging.WARNING):
        make_app(read_token="tiny-tok", write_token="a-long-enough-write-token-123")
    warnings = [r.getMessage() for r in caplog.records if "shorter than" in r.getMessage()]
    assert len(warnings) == 1 and "read_token" in warnings[0] and "tiny-tok" not in warnings[0]
