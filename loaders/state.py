"""What the store already holds that a load must know: the graphs a dataset produced before
(to replace them), and which ids exist (duplicates, references to other datasets)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from justicegraph.namespaces import JG, Minter

_CHUNK = 500
_PROV_USED = "http://www.w3.org/ns/prov#used"
_XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


@dataclass
class DatasetState:
    graphs: set[str] = field(default_factory=set)  # graphs produced by earlier loads (dropped on re-load)
    subjects: set[str] = field(default_factory=set)  # those graphs, the old loads and their inputs
    provenance_quads: list[ox.Quad] = field(default_factory=list)  # their descriptions (deleted on re-load)


def _provenance_values(minter: Minter) -> str:
    return f"{ox.NamedNode(minter.provenance_graph)} {ox.NamedNode(minter.restricted_provenance_graph)}"


def find_state(store, dataset: str, minter: Minter) -> DatasetState:
    state = DatasetState()
    query = (f"SELECT ?s ?load ?input WHERE {{ VALUES ?pg {{ {_provenance_values(minter)} }} "
             f"GRAPH ?pg {{ ?s <{JG}dataset> {ox.Literal(dataset)} . "
             f"OPTIONAL {{ ?s a ?load . FILTER(?load = <{JG}Load>) }} "
             f"OPTIONAL {{ ?s <{_PROV_USED}> ?input }} }} }}")
    system = minter.system_graphs
    for row in store.query(query):
        subject = row["s"].value
        state.subjects.add(subject)
        if row["input"] is not None:
            state.subjects.add(row["input"].value)
        if row["load"] is None and subject not in system:
            state.graphs.add(subject)
    subjects = sorted(state.subjects)
    for i in range(0, len(subjects), _CHUNK):
        values = " ".join(str(ox.NamedNode(s)) for s in subjects[i:i + _CHUNK])
        query = (f"SELECT ?s ?p ?o ?pg WHERE {{ VALUES ?pg {{ {_provenance_values(minter)} }} "
                 f"VALUES ?s {{ {values} }} GRAPH ?pg {{ ?s ?p ?o }} }}")
        state.provenance_quads += [ox.Quad(r["s"], r["p"], r["o"], r["pg"]) for r in store.query(query)]
    return state


def lookup_ids(store, ids: list[str], state: DatasetState) -> dict[str, list[tuple[str, str]]]:
    """id → [(node, graph)] for ids recorded in the store, ignoring what the dataset's own
    earlier loads recorded (those are about to be replaced)."""
    found: dict[str, list[tuple[str, str]]] = {}
    pattern = f"GRAPH ?g {{ ?x <{JG}recordId> ?id }}"
    if _recorded(store, pattern, len(ids) + 1) <= len(ids):
        # The store records no more ids than the load names (a first load, an empty store):
        # reading them all is one cheap query instead of one per 500 ids.
        wanted = set(ids)
        queries = [f"SELECT ?id ?x ?g WHERE {{ {pattern} }}"]
    else:
        wanted = None
        queries = (f"SELECT ?id ?x ?g WHERE {{ VALUES ?id {{ {' '.join(str(ox.Literal(x)) for x in ids[i:i + _CHUNK])} }} "
                   f"{pattern} }}" for i in range(0, len(ids), _CHUNK))
    for query in queries:
        for row in store.query(query):
            rid = row["id"].value
            if wanted is not None and (rid not in wanted or row["id"].datatype != _XSD_STRING):
                continue
            node, graph = row["x"].value, row["g"].value
            if graph in state.graphs or node in state.subjects:
                continue
            found.setdefault(rid, []).append((node, graph))
    return found


def _recorded(store, pattern: str, limit: int) -> int:
    """How many ids the store records, counted up to ``limit``."""
    rows = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT ?x WHERE {{ {pattern} }} LIMIT {limit} }}"))
    return int(rows[0]["n"].value) if rows else 0


def graph_owners(store, graphs: list[str], minter: Minter) -> dict[str, str]:
    """graph → the dataset that produced it, for graphs already in the store."""
    owners: dict[str, str] = {}
    for i in range(0, len(graphs), _CHUNK):
        values = " ".join(str(ox.NamedNode(g)) for g in graphs[i:i + _CHUNK])
        query = (f"SELECT ?g ?d WHERE {{ VALUES ?pg {{ {_provenance_values(minter)} }} VALUES ?g {{ {values} }} "
                 f"GRAPH ?pg {{ ?g <{JG}dataset> ?d }} }}")
        for row in store.query(query):
            owners[row["g"].value] = row["d"].value
    return owners
