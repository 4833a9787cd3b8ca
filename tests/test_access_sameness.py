"""A store that never held restricted material looks the same to the public (issue #17,
items 6 and 7): /healthz, /metrics, VoID, the dump, the Graph Store's dataset and the home
page's counts answer an anonymous caller alike for the fixture and for its public graphs
alone; a write that touches only restricted graphs (or a token holder's query) changes none
of them, not even the snapshot name /healthz shows or a counter of /metrics; and a load
lists publicly only the input files that hold public records."""

from __future__ import annotations

import gzip
import json
import re
import shutil

import pyoxigraph as ox
import pytest
from fixtures.restricted.harness import R_TESTIMONY, RECORDS, build_backend, leaks

READ, WRITE = "sameness-read-token-81f2", "sameness-write-token-44ac"
BASE = "https://w3id.org/justicegraph/"
AUTH = {"Authorization": f"Bearer {WRITE}"}
# Counts that move with the (anonymous, reading) requests this test makes to look, or with the clock.
_NOISE = re.compile(r'^justicegraph_query_seconds_total|^justicegraph_http_requests_total\{route="(meta|other)"'
                    r'|^justicegraph_http_requests_total\{route="(graphs|sparql)",status="200"\}')


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    root = tmp_path_factory.mktemp("sameness")
    options = {"read_token": READ, "write_token": WRITE, "rate_limit": "", "include_inferred": True}
    full = build_backend(root / "full", **options)
    public = build_backend(root / "public", public_only=True, slot="reference", **options)
    return full.test_client(), public.test_client()


def public_view(client, query: bool = True) -> dict:
    """Everything listed here, as an anonymous caller gets it."""
    def body(path, **kw):
        response = client.get(path, **kw)
        assert response.status_code == 200, (path, response.status_code)
        data = response.get_data()
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data

    if query:
        client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
    metrics = [line for line in body("/metrics").decode().splitlines() if not _NOISE.match(line)]
    return {"healthz": json.loads(body("/healthz")), "metrics": metrics,
            "void": body("/.well-known/void", headers={"Accept": "application/n-triples"}),
            "dump": body("/dump"), "graphs": body("/graphs", headers={"Accept": "application/n-quads"}),
            "home": body("/index.json")}


def without_snapshot(view: dict) -> dict:
    return {**view, "healthz": {k: v for k, v in view["healthz"].items() if k != "snapshot"}}


def test_the_public_sees_the_same_as_in_a_store_without_restricted_graphs(apps):
    full, public = apps
    assert without_snapshot(public_view(full)) == without_snapshot(public_view(public))
    token = full.get("/healthz", headers={"Authorization": f"Bearer {READ}"}).get_json()
    assert token["graphs"] > public_view(full)["healthz"]["graphs"]  # the token holder counts every graph


def test_restricted_only_writes_change_nothing_the_public_sees(apps):
    full, _ = apps
    before = public_view(full, query=False)
    snapshot = full.get("/healthz", headers=AUTH).get_json()["snapshot"]
    writes = [
        ("put", "/graphs", {"query_string": {"graph": f"{BASE}graph/import/more/restricted"},
                            "data": b"<urn:jg:sealed-note> <urn:jg:says> \"Sealed addendum\" .\n",
                            "content_type": "application/n-triples"}),
        ("post", "/sparql", {"data": f'INSERT DATA {{ GRAPH <{BASE}graph/import/other/restricted> '
                                     f'{{ <urn:jg:sealed-x> <urn:jg:p> 1 }} }}',
                             "content_type": "application/sparql-update"}),
        ("post", "/sparql", {"data": f"DELETE WHERE {{ GRAPH <{R_TESTIMONY}> {{ ?s <urn:jg:none> ?o }} }} ; "
                                     f"CLEAR GRAPH <{BASE}graph/import/more/restricted>",
                             "content_type": "application/sparql-update"}),
    ]
    for method, path, kw in writes:
        response = getattr(full, method)(path, headers=AUTH, **kw)
        assert response.status_code in (201, 204), response.get_data(as_text=True)
    full.get("/sparql", query_string={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"},
             headers={"Authorization": f"Bearer {READ}"}).get_data()
    assert public_view(full, query=False) == before
    # the writes happened: the token holder sees a new snapshot and counts them
    assert full.get("/healthz", headers=AUTH).get_json()["snapshot"] != snapshot
    metrics = full.get("/metrics", headers=AUTH).get_data(as_text=True)
    assert re.search(r'justicegraph_queries_total\{form="UPDATE"\} [1-9]', metrics)
    assert re.search(r'justicegraph_queries_total\{form="UPDATE"\} 0$', before_metrics(before), re.M)


def before_metrics(view: dict) -> str:
    return "\n".join(view["metrics"])


# --- loads ---------------------------------------------------------------------------------------
def _public_copy(target) -> None:
    """The fixture's records without a restricted one (every restricted thing says 'sealed'),
    and without the files that then hold none: what a store that never held them was loaded from."""
    target.mkdir()
    for path in RECORDS.iterdir():
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [lines[0]] + [line for line in lines[1:] if "sealed" not in line.lower()]
        if len(kept) > 1:
            (target / path.name).write_text("".join(kept), encoding="utf-8")


def _provenance(store, graph: str) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def _shape(quads: list[ox.Quad], load: str) -> list[str]:
    """The quads with what differs between two loads of any data (the load's IRI, its times,
    the checksums) replaced by placeholders."""
    def term(t):
        if isinstance(t, ox.NamedNode) and t.value.startswith(load):
            return "<LOAD" + t.value[len(load):] + ">"
        if isinstance(t, ox.Literal) and (t.value.startswith("sha256:") or "dateTime" in t.datatype.value):
            return '"…"'
        return str(t)
    return sorted(" ".join(term(x) for x in (q.subject, q.predicate, q.object)) for q in quads)


def test_input_files_of_restricted_records_only_are_not_listed_publicly(tmp_path):
    from justicegraph.loaders import load

    shutil.copytree(RECORDS, tmp_path / "full")
    _public_copy(tmp_path / "public")
    assert not (tmp_path / "public" / "relations.csv").exists()  # it held a restricted record only
    stores = {}
    for name in ("full", "public"):
        store = ox.Store()
        from justicegraph.store import OxigraphStore

        wrapped = OxigraphStore(None)
        result = load(wrapped, [tmp_path / name], dataset="fixture")
        store = wrapped.engine
        stores[name] = (store, result.load)
    (full, full_load), (public, public_load) = stores["full"], stores["public"]
    provenance = BASE + "graph/provenance"
    assert _shape(_provenance(full, provenance), full_load) == _shape(_provenance(public, provenance), public_load)
    assert "relations.csv" not in "\n".join(map(str, _provenance(full, provenance)))
    assert leaks("\n".join(map(str, _provenance(full, provenance)))) == []
    hidden = "\n".join(map(str, _provenance(full, provenance + "/restricted")))
    assert '"relations.csv"' in hidden  # described where only the read token sees it


def test_an_input_is_restricted_when_everything_in_it_is():
    """Records: restricted by their own access or by what they are said in; RDF: by the
    graphs its quads are in. One public thing anywhere in an input makes it public."""
    from types import SimpleNamespace

    from justicegraph.loaders.pipeline import _mark_restricted_inputs
    from justicegraph.loaders.provenance import Input

    def record(file, access="public", according_to=None):
        values = {"access": access, **({"according_to": according_to} if according_to else {})}
        return SimpleNamespace(file=file, values=values)

    def quad(graph):
        return ox.Quad(ox.NamedNode(BASE + "id/x"), ox.NamedNode(BASE + "p"), ox.Literal("v"), ox.NamedNode(graph))

    index = {"t-hidden": SimpleNamespace(restricted=True), "t-open": SimpleNamespace(restricted=False)}
    records = [record("a.csv", "restricted"), record("a.csv"),  # public after a restricted one
               record("b.csv", "restricted"), record("b.csv", according_to="t-hidden"),
               record("c.csv", according_to="t-open")]
    passthrough = [("d.nq", [quad(BASE + "graph/testimony/t1/restricted")]),
                   ("e.nq", [quad(BASE + "graph/testimony/t1/restricted"), quad(BASE + "graph/testimony/t1")]),
                   ("f.nq", [])]
    inputs = [Input(name, "sha256:0", source=name) for name in ("a.csv", "b.csv", "c.csv", "d.nq", "e.nq", "f.nq")]
    marked = {i.source: i.restricted for i in _mark_restricted_inputs(inputs, records, passthrough, index)}
    assert marked == {"a.csv": False, "b.csv": True, "c.csv": False, "d.nq": True, "e.nq": False, "f.nq": False}
