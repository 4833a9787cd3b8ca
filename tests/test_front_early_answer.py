"""An answer the app gives before reading a big body reaches the client (found integrating the
buffering front with the write rules): a 3 MB PUT without a token, or to a system graph, was
answered 401 / 403 by the app, but gunicorn then closed its end with the body unread, the
front's send failed, and the client saw the connection closed with no answer at all. Through
the front (server/front.py) and with gunicorn on the port itself."""

from __future__ import annotations

import pytest
import requests
from servers import running_server
from stores import served

pytestmark = pytest.mark.server

WRITE = "early-answer-write-token-8c1f2a"
PROVENANCE = "https://w3id.org/justicegraph/graph/provenance"
BODY = "".join(f"<urn:jg:s{i}> <urn:jg:p> \"value number {i} of a body larger than any socket buffer\" .\n"
               for i in range(40_000)).encode()  # about 3.5 MB: far more than the kernel buffers hold


@pytest.fixture(scope="module", params=["granian", "front", "gunicorn"])
def server(tmp_path_factory, request):
    store, env = served(tmp_path_factory.mktemp("early") / "store", lambda s: None)
    env |= {"JUSTICEGRAPH_WRITE_TOKEN": WRITE, "JUSTICEGRAPH_FRONT": str(request.param == "front").lower(),
            "JUSTICEGRAPH_HTTP_SERVER": "granian" if request.param == "granian" else "gunicorn"}
    with running_server(store, env=env, workers=1, threads=2) as s:
        yield s


def put(server, graph: str, headers: dict) -> requests.Response:
    return requests.put(server.url + "/graphs", params={"graph": graph}, data=BODY,
                        headers={"Content-Type": "application/n-triples", **headers}, timeout=120)


def test_no_token_is_answered_401_not_a_closed_connection(server):
    r = put(server, "https://example.org/early/g", {})
    assert r.status_code == 401 and "write token" in r.json()["error"]["message"]


def test_a_system_graph_is_answered_403_not_a_closed_connection(server):
    r = put(server, PROVENANCE, {"Authorization": f"Bearer {WRITE}"})
    assert r.status_code == 403 and "system graph" in r.json()["error"]["message"]


def test_the_same_body_is_written_where_it_may_be(server):
    r = put(server, "https://example.org/early/g", {"Authorization": f"Bearer {WRITE}"})
    assert r.status_code == 201, r.text
    count = requests.get(server.url + "/sparql", params={
        "query": "SELECT (COUNT(*) AS ?n) { GRAPH <https://example.org/early/g> { ?s ?p ?o } }"},
        headers={"Accept": "text/csv", "Authorization": f"Bearer {WRITE}"}, timeout=60).text.split()
    assert count == ["n", "40000"]
