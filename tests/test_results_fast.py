"""SELECT answers written by pyoxigraph's serialisers (server/protocol/results_fast.py): the row cap
cuts them exactly where the Python writer does, whatever the values hold (quotes, braces,
newlines, tags), and an answer over the memory budget is handed back to the streaming path."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from justicegraph.server.protocol import results, results_fast

QUERY = """SELECT ?x ?y WHERE { VALUES (?x ?y) {
  ("a\\nb\\tc<result>\\"},{\\"" 1) (<http://example.org/x> "x"@en) (UNDEF UNDEF) (<http://example.org/b> "\\"}") ("</results>" 2.5)
} }"""
FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML, "tsv": ox.QueryResultsFormat.TSV}


def solutions():
    return ox.Store().query(QUERY)


def rows(body: bytes, fmt: str) -> list[tuple]:
    parsed = ox.parse_query_results(io.BytesIO(body), FORMATS[fmt])
    return [tuple(s[v] for v in parsed.variables) for s in parsed]


def python_rows(cap: int) -> list[tuple]:
    result = solutions()
    names = [v.value for v in result.variables]
    taken = [tuple(s) for s, _ in zip(result, range(cap), strict=False)]
    body = b"".join(results.select_chunks("json", names, taken))
    return rows(body, "json")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("cap", [0, 1, 2, 4, 5, 6, 100])
def test_cap_cuts_exactly_like_the_python_writer(fmt, cap):
    body, truncated = results_fast.select_bytes(solutions(), fmt, cap)
    assert truncated == (cap < 5)
    got = rows(body, fmt)
    assert len(got) == min(cap, 5)
    assert got == python_rows(cap)  # same rows, same order, same terms


def test_an_answer_over_the_budget_is_handed_back():
    assert results_fast.select_bytes(solutions(), "json", 10, budget=64) is None


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_rows_and_no_variables(fmt):
    body, truncated = results_fast.select_bytes(ox.Store().query("SELECT ?x WHERE { FILTER(false) }"), fmt, 10)
    assert not truncated and rows(body, fmt) == []
    body, truncated = results_fast.select_bytes(ox.Store().query("SELECT * WHERE { }"), fmt, 10)
    assert not truncated and len(rows(body, fmt)) == 1


def test_a_large_answer_leaves_the_executor_in_pieces():
    from justicegraph.server.protocol import jobs as protocol_jobs

    store = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    rows = 40_000  # ~150 bytes a row in JSON: over WHOLE_ANSWER_BYTES
    store.extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), p, ox.Literal("v" * 60)) for i in range(rows))
    messages: list[tuple] = []
    job = {"kind": "query", "query": "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }", "base": None,
           "dataset": {}, "results_format": "json", "graph_format": None, "row_cap": 100_000}
    protocol_jobs.run_job(job, store, messages.append)
    kinds = [m[0] for m in messages]
    assert kinds[0] == "meta" and kinds[-1] == "done" and kinds.count("data") > 2
    assert all(len(m[1]) <= protocol_jobs.CHUNK_BYTES for m in messages if m[0] == "data")
    assert len(rows_of(b"".join(m[1] for m in messages if m[0] == "data"))) == rows


def rows_of(body: bytes) -> list:
    return list(ox.parse_query_results(io.BytesIO(body), ox.QueryResultsFormat.JSON))
