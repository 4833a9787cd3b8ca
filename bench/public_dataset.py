"""Anonymous lookups on `oxigraph serve` with ~10k graphs: graph lists vs the public dataset.

    .venv/bin/python bench/public_dataset.py                   # 10,000 graphs, 1 in 10 restricted
    .venv/bin/python bench/public_dataset.py --graphs 1000 --repeats 10   # quick

Starts `oxigraph serve` with its public dataset (a second `oxigraph serve`,
justicegraph/store/remote/public.py) on 127.0.0.1, writes a synthetic dataset through
RemoteStore.apply (so the public dataset follows the write as in production), then runs the
same anonymous lookups through the endpoint (Flask app in-process, the whole server path:
dataset, engine request, serialisation) twice: without ``store_public_url`` (the dataset is
every public graph, listed and sent as default-graph-uri / named-graph-uri) and with it (no
list, the public engine's union default graph). Prints a Markdown table (median / p90 ms)
and writes bench/results/<time>-public-dataset.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from justicegraph.server.app import create_app
from justicegraph.store.remote import engines

HERE = Path(__file__).resolve().parent
BASE = "https://w3id.org/justicegraph/"
LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PERSON = ox.NamedNode(BASE + "ontology#Person")
MENTIONS = ox.NamedNode(BASE + "ontology#mentions")


def dataset(graphs: int, per_graph: int, restricted_every: int) -> list[ox.Quad]:
    quads = []
    for g in range(graphs):
        name = f"{BASE}graph/testimony/t{g}" + ("/restricted" if restricted_every and g % restricted_every == 0 else "")
        graph = ox.NamedNode(name)
        for k in range(per_graph):
            person = ox.NamedNode(f"{BASE}id/p{g}-{k}")
            quads += [ox.Quad(person, TYPE, PERSON, graph),
                      ox.Quad(person, LABEL, ox.Literal(f"Person {g}-{k}", language="en"), graph),
                      ox.Quad(person, MENTIONS, ox.NamedNode(f"{BASE}id/p{(g + 1) % graphs}-{k}"), graph)]
    return quads


LOOKUPS = {
    "entity description": "SELECT ?p ?o WHERE {{ <{base}id/p{g}-0> ?p ?o }}",
    "label lookup": 'SELECT ?s WHERE {{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> "Person {g}-1"@en }}',
    "entity with its graph": "SELECT ?g ?p ?o WHERE {{ GRAPH ?g {{ <{base}id/p{g}-2> ?p ?o }} }}",
}


def measure(client, template: str, graphs: int, repeats: int, rng: random.Random) -> list[float]:
    times = []
    for _ in range(repeats):
        g = rng.randrange(1, graphs)
        query = template.format(base=BASE, g=g)
        started = time.perf_counter()
        r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"})
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        rows = r.get_json()["results"]["bindings"]
        if g % 10 == 0 and "graph" not in template:  # a restricted graph's entity: nothing comes back
            assert rows == [] or all("restricted" not in json.dumps(b) for b in rows), rows
    return times


def engine_only(run, template: str, graphs: int, repeats: int, rng: random.Random) -> list[float]:
    times = []
    for _ in range(repeats):
        query = template.format(base=BASE, g=rng.randrange(1, graphs))
        started = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graphs", type=int, default=10_000)
    ap.add_argument("--per-graph", type=int, default=5, help="people per graph (3 quads each)")
    ap.add_argument("--restricted-every", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    missing = engines.oxigraph_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    engine = engines.start_oxigraph(Path(tempfile.mkdtemp(prefix="jg-bench-public-")), timeout_s=120, public=True)
    try:
        store = engine.open(query_timeout=120.0)
        engines.clear_store(store)
        quads = dataset(args.graphs, args.per_graph, args.restricted_every)
        started = time.perf_counter()
        store.apply(insert=quads)
        write_s = time.perf_counter() - started
        assert len(store.public) < len(quads) and not any("restricted" in g for g in store.public.graphs())
        rng = random.Random(1988)
        results: dict[str, dict[str, list[float]]] = {}
        for label, overrides in (("graph lists", {"store_public_url": ""}), ("public dataset", {})):
            settings = engine.settings(query_timeout=120.0, **overrides)
            app = create_app(settings, store=engine.open(**overrides, query_timeout=120.0))
            client = app.test_client()
            for name, template in LOOKUPS.items():
                measure(client, template, args.graphs, 2, rng)  # warm: connections, caches
                results.setdefault(name, {})[label] = measure(client, template, args.graphs, args.repeats, rng)
            if label == "graph lists":  # the engine alone: the list made once, not per request
                from justicegraph import access

                listed = access.dataset(store.graphs(), restricted_ok=False)
                run = lambda text, listed=listed: list(store.query(text, **listed))  # noqa: E731
            else:
                run = lambda text: list(store.public.query(text, union=True))  # noqa: E731
            for name, template in LOOKUPS.items():
                results[name][label + " (engine only)"] = engine_only(run, template, args.graphs, args.repeats, rng)
    finally:
        engine.stop()
    load = os.getloadavg()
    print(f"{args.graphs} graphs ({args.graphs // args.restricted_every if args.restricted_every else 0} restricted), "
          f"{len(quads)} quads; write through RemoteStore.apply incl. the public dataset: {write_s:.1f} s; "
          f"load average {load[0]:.1f}")
    print("| anonymous lookup | path | graph lists: median / p90 ms | public dataset: median / p90 ms | "
          "speed-up (median) |")
    print("|---|---|---|---|---|")
    for name, cells in results.items():
        for path, suffix in (("endpoint", ""), ("engine only", " (engine only)")):
            a, b = cells["graph lists" + suffix], cells["public dataset" + suffix]
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"| {name} | {path} | {ma:.1f} / {_p90(a):.1f} | {mb:.1f} / {_p90(b):.1f} | {ma / mb:.0f}× |")
    out = HERE / "results" / f"{time.strftime('%Y%m%dT%H%M%S')}-public-dataset.json"
    out.write_text(json.dumps({"args": vars(args), "quads": len(quads), "write_s": write_s, "loadavg": load,
                               "ms": results}, indent=1))
    print(f"written {out.relative_to(HERE.parent)}")
    return 0


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


if __name__ == "__main__":
    sys.exit(main())
