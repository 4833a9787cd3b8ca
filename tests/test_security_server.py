"""Security of the running server (gunicorn on 127.0.0.1, tests/servers.py):

- tokens never reach the logs, however a client sends them (header, query string, form,
  user agent, referer, Basic auth, a query's text, a failing request) — the captured server
  output is searched for them;
- security headers come from the real server too (the rate limiter's 429 is tested through
  the same code in test_security.py; its counters are per gunicorn worker, docs/security.md);
- the time limit holds when many heavy queries arrive at once, and light queries are still
  answered meanwhile and afterwards.
"""

from __future__ import annotations

import base64
import concurrent.futures as cf

import pytest
import requests
from fixtures.restricted.harness import quads_of_fixture
from stores import served

from justicegraph.cli import main as cli_main

READ = "srv-read-Zq81x0p2Lk"
WRITE = "srv-write-Hy63vB9mRt"
JSON = {"Accept": "application/sparql-results+json"}
HEAVY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }")
LIGHT = "ASK { ?s ?p ?o }"

pytestmark = [pytest.mark.server]


def need_serve():
    if "serve" not in cli_main.commands:
        pytest.skip("`justicegraph serve` is not implemented yet")
    from servers import running_server  # tests/servers.py (the endpoint's fixture)

    return running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running_server = need_serve()
    store, env = served(tmp_path_factory.mktemp("srv") / "store", lambda s: s.apply(insert=quads_of_fixture()))
    env |= {"JUSTICEGRAPH_READ_TOKEN": READ, "JUSTICEGRAPH_WRITE_TOKEN": WRITE,
            "JUSTICEGRAPH_QUERY_TIMEOUT": "1.5"}
    # Two workers with 4 threads (4 query executors each): six heavy queries can fill every
    # executor of one worker, so a light query there must wait for a heavy one to be killed
    # and replaced — and still be answered.
    with running_server(store, env=env, workers=2, threads=4) as s:
        yield s


def test_tokens_never_appear_in_the_logs(server):
    url, auth = server.url, {"Authorization": f"Bearer {READ}"}
    with requests.Session() as http:
        assert http.get(f"{url}/sparql", params={"query": LIGHT}, headers={**JSON, **auth}).status_code == 200
        http.get(f"{url}/sparql", params={"query": LIGHT, "access_token": READ, "token": WRITE}, headers=JSON)
        http.get(f"{url}/id/{READ}", headers=auth)
        http.get(f"{url}/sparql", params={"query": f"SELECT * {{ # {READ}\n ?s ?p "}, headers={**JSON, **auth})
        http.post(f"{url}/sparql", data={"query": LIGHT, "tok": READ}, headers={**JSON, **auth})
        http.get(f"{url}/", headers={"User-Agent": f"agent {READ}", "Referer": f"http://x/?t={WRITE}"})
        basic = base64.b64encode(f"user:{WRITE}".encode()).decode()
        http.get(f"{url}/sparql", params={"query": LIGHT}, headers={"Authorization": f"Basic {basic}"})
        http.put(f"{url}/graphs", params={"graph": "urn:jg:log-test"}, data=b"<urn:a> <urn:b> .",
                 headers={"Authorization": f"Bearer {WRITE}", "Content-Type": "application/n-triples"})
        http.put(f"{url}/graphs", params={"graph": f"urn:jg:{WRITE}"}, data=b"<urn:a> <urn:b> <urn:c> .",
                 headers={"Authorization": f"Bearer {WRITE}", "Content-Type": "application/n-triples"})
        http.get(f"{url}/sparql", params={"query": LIGHT}, headers={"Authorization": f"Bearer {WRITE}x"})
    log = server.log()
    assert "GET /sparql" in log, "the access log is not captured: this test would prove nothing"
    assert READ not in log and WRITE not in log
    assert basic not in log


def test_real_server_sends_security_headers(server):
    response = requests.get(f"{server.url}/", headers={"Accept": "text/html"})
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    opened = requests.get(f"{server.url}/sparql", params={"query": LIGHT},
                          headers={**JSON, "Authorization": f"Bearer {READ}"})
    assert "no-store" in opened.headers["Cache-Control"]


def test_heavy_queries_are_stopped_and_light_ones_still_answered(server):
    """6 heavy queries at once (2 workers x 4 threads: one worker's executors may all be busy):
    each heavy one is stopped at the limit with 503; light queries sent meanwhile by two
    clients, one after another, are all answered 200."""
    url = server.url

    def ask(query):
        response = requests.get(f"{url}/sparql", params={"query": query}, headers=JSON, timeout=60)
        return response.status_code, response.headers.get("Content-Type", ""), response.text[:200]

    def light_client(heavy_futures):
        answers = [ask(LIGHT)]
        while not all(f.done() for f in heavy_futures):
            answers.append(ask(LIGHT))
        return answers

    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        heavy = [pool.submit(ask, HEAVY) for _ in range(6)]
        light = [pool.submit(light_client, heavy) for _ in range(2)]
        heavy_results = [f.result() for f in heavy]
        light_results = [a for f in light for a in f.result()]
    assert [status for status, _, _ in heavy_results] == [503] * 6, heavy_results
    assert all("json" in ctype and "time limit" in text for _, ctype, text in heavy_results)
    assert [status for status, _, _ in light_results] == [200] * len(light_results), light_results
    # And afterwards the server is healthy and answers normally.
    assert ask(LIGHT)[0] == 200
    assert requests.get(f"{url}/healthz").status_code == 200
