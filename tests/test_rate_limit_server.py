"""The rate limit holds for the whole server, not per worker (issue #17, item 12): with two
gunicorn workers and a limit of 30 a minute, 60 requests from one client on fresh
connections (spread over both workers) get exactly 30 answers and 30 refusals (429). The
client's address reaches the app through the buffering front (item 11)."""

from __future__ import annotations

import http.client

import pytest
from servers import running_server
from stores import served

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store, env = served(tmp_path_factory.mktemp("rate") / "store", lambda s: None)
    env |= {"JUSTICEGRAPH_RATE_LIMIT": "30 per minute"}
    with running_server(store, env=env, workers=2, threads=2) as s:
        yield s


def test_one_budget_per_client_across_workers(server):
    statuses = []
    for _ in range(60):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)  # a new connection each time
        connection.request("GET", "/sparql?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
        connection.close()
    assert statuses.count(200) == 30 and statuses.count(429) == 30, statuses
    # behind the buffering front (gunicorn on a Unix socket) the app still sees the client's
    # address: the access log names it, and the budget above was this client's
    assert "127.0.0.1 - - [" in server.log()
