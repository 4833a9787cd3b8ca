"""JSON-LD in compacted, flattened form with a context, written from pyoxigraph terms.

pyoxigraph writes expanded JSON-LD (full IRIs, no ``@context``): correct, but hard to read
and, for quads, every triple sits in a named graph, which tools that read a *graph*
(``rdflib.Graph().parse(…, format="json-ld")``) skip. Here:

- the context holds only prefix definitions (no type coercion, no containers), so turning
  an IRI into a compact IRI is a string operation and expanding the document gives back
  exactly the triples written — no compaction algorithm to get wrong;
- each subject is one node object (flattened: nothing nested), ``rdf:type`` is ``@type``;
  literals are strings (``xsd:string``), ``{"@value", "@language"}`` or ``{"@value", "@type"}``
  (numbers stay strings: the lexical form is kept as written);
- the default graph's triples come first; each named graph is a node object whose
  ``@graph`` holds its triples — on the same node object as the graph's own description when
  the default graph describes it (its provenance), so "who says this" is one lookup away.

``document()`` builds a whole document (pages: entity, ontology, vocabulary);
``write()`` streams triples for the SPARQL protocol (a node object per run of one subject;
a subject that comes back later gets another node object, which JSON-LD merges).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping

import pyoxigraph as ox

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# Characters that end a prefix IRI usable for compact IRIs (JSON-LD 1.1 §4.1.3: gen-delims).
_GEN_DELIMS = (":", "/", "?", "#", "[", "]", "@")


def context(prefixes: Mapping[str, str]) -> dict:
    """The ``@context`` value for these prefixes (the ones usable in compact IRIs)."""
    return {name: iri for name, iri in sorted(prefixes.items()) if iri.endswith(_GEN_DELIMS)}


class Compactor:
    """Turns terms into compacted JSON-LD values for one context."""

    def __init__(self, prefixes: Mapping[str, str]):
        self.context = context(prefixes)
        # longest namespace first, so id/ wins over a shorter prefix of it
        self._order = sorted(self.context.items(), key=lambda item: -len(item[1]))
        # An IRI's compact form, worked out once (a prison's document repeats a few hundred
        # IRIs thousands of times; the scan over the prefixes was most of its JSON-LD CPU).
        self._compact: dict[str, str] = {}

    def iri(self, iri: str) -> str:
        found = self._compact.get(iri)
        if found is None:
            if len(self._compact) >= MAX_COMPACTED:
                self._compact.clear()
            found = self._compact[iri] = self._iri(iri)
        return found

    def _iri(self, iri: str) -> str:
        for name, ns in self._order:
            if iri.startswith(ns) and len(iri) > len(ns):
                suffix = iri[len(ns):]
                if not suffix.startswith("//"):  # "p://x" would read as an absolute IRI
                    return f"{name}:{suffix}"
        # As is. (It would read as a compact IRI only if its scheme were a prefix name here:
        # the contexts name no URI scheme such as http, https, urn or mailto.)
        return iri

    def node_id(self, term) -> str:
        if isinstance(term, ox.BlankNode):
            return "_:" + term.value
        return self.iri(term.value)

    def value(self, term):
        if isinstance(term, ox.Literal):
            if term.language:
                return {"@value": term.value, "@language": term.language}
            if term.datatype.value == XSD_STRING:
                return term.value
            return {"@value": term.value, "@type": self.iri(term.datatype.value)}
        return {"@id": self.node_id(term)}

    def add(self, node: dict, predicate: ox.NamedNode, obj) -> None:
        """Add one (predicate, object) to a node object."""
        if predicate.value == RDF_TYPE and isinstance(obj, ox.NamedNode):
            node.setdefault("@type", []).append(self.iri(obj.value))
        else:
            node.setdefault(self.iri(predicate.value), []).append(self.value(obj))


MAX_COMPACTED = 50_000  # IRIs a shared compactor remembers (a few MB at most)


@functools.lru_cache(maxsize=8)
def compactor(prefixes: tuple[tuple[str, str], ...]) -> Compactor:
    """The compactor of one set of prefixes, shared by every answer that uses it (pages pass
    the same prefixes on every request), so its IRIs are compacted once per process."""
    return Compactor(dict(prefixes))


def _shared(prefixes: Mapping[str, str]) -> Compactor:
    return compactor(tuple(sorted(prefixes.items())))


def _tidy(node: dict) -> dict:
    """Single values without the list (the compacted form's habit; the RDF is the same)."""
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 and k != "@graph" else v) for k, v in node.items()}


def _nodes(compactor: Compactor, triples: Iterable) -> dict[str, dict]:
    nodes: dict[str, dict] = {}
    for t in triples:
        key = compactor.node_id(t.subject)
        node = nodes.setdefault(key, {"@id": key})
        compactor.add(node, t.predicate, t.object)
    return nodes


def document(default: Iterable, named: Mapping | None, prefixes: Mapping[str, str]) -> dict:
    """A JSON-LD document: ``default`` triples in the default graph, ``named`` = {graph name
    term: triples} as named graphs."""
    shared = _shared(prefixes)
    nodes = _nodes(shared, default)
    for graph, triples in (named or {}).items():
        key = shared.node_id(graph)
        holder = nodes.setdefault(key, {"@id": key})
        holder["@graph"] = [_tidy(n) for n in _nodes(shared, triples).values()]
    return {"@context": shared.context, "@graph": [_tidy(n) for n in nodes.values()]}


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(…, ensure_ascii=False) builds one per call


def dumps(doc: dict) -> bytes:
    """One line per top-level node: readable, and a quarter smaller than indented JSON."""
    nodes = ",\n  ".join(map(_ENCODE, doc["@graph"]))
    return f'{{"@context": {_ENCODE(doc["@context"])},\n "@graph": [\n  {nodes}\n ]}}\n'.encode()


def from_quads(quads: Iterable[ox.Quad], prefixes: Mapping[str, str], *, merge: bool) -> bytes:
    """Quads as a JSON-LD document. ``merge``: the default graph also holds every triple of
    the named graphs (the RDF merge, as a triple syntax gives it), the named graphs keep
    which graph asserts what.

    The same document as ``document(default triples, named graphs)``, in one pass: each
    triple's subject, predicate and object are compacted once, for its named graph and for
    the merge (a hub's description at 1.15M quads holds ~4,000 graphs and ~8,500 triples)."""
    c = _shared(prefixes)
    iri, value = c.iri, c.value
    default: dict[str, dict] = {}
    named: dict = {}
    merged: set = set()
    for q in quads:
        graph, s, o = q.graph_name, q.subject, q.object
        key = "_:" + s.value if isinstance(s, ox.BlankNode) else iri(s.value)
        p = q.predicate.value
        if p == RDF_TYPE and isinstance(o, ox.NamedNode):
            name, item = "@type", iri(o.value)
        else:
            name, item = iri(p), value(o)
        targets = []
        if isinstance(graph, ox.DefaultGraph):
            in_default = True
        else:
            nodes = named.get(graph)
            if nodes is None:
                nodes = named[graph] = {}
            targets.append(nodes)
            in_default = merge
        if in_default:
            triple = q.triple
            if triple not in merged:
                merged.add(triple)
                targets.append(default)
        for nodes in targets:
            node = nodes.get(key)
            if node is None:
                node = nodes[key] = {"@id": key}
            found = node.get(name)
            if found is None:
                node[name] = [item]
            else:
                found.append(item)
    for graph, nodes in named.items():
        key = c.node_id(graph)
        holder = default.setdefault(key, {"@id": key})
        holder["@graph"] = [_tidy(n) for n in nodes.values()]
    return dumps({"@context": c.context, "@graph": [_tidy(n) for n in default.values()]})


def write(items: Iterable, emit: Callable[[bytes], None], prefixes: Mapping[str, str] | None) -> None:
    """Stream triples (quads: their graph is dropped, as for the other triple syntaxes) as
    one compacted JSON-LD document."""
    compactor = Compactor(prefixes or {})
    emit(b'{"@context": ' + json.dumps(compactor.context, ensure_ascii=False).encode("utf-8") + b',\n "@graph": [')
    first, current, node = True, None, None
    batch: list[str] = []

    def flush():
        nonlocal first
        if node is not None:
            batch.append(("\n  " if first else ",\n  ") + json.dumps(_tidy(node), ensure_ascii=False))
            first = False

    for t in items:
        if t.subject != current:
            flush()
            if len(batch) >= 200:
                emit("".join(batch).encode("utf-8"))
                batch.clear()
            current = t.subject
            node = {"@id": compactor.node_id(t.subject)}
        compactor.add(node, t.predicate, t.object)
    flush()
    batch.append("\n ]}\n")
    emit("".join(batch).encode("utf-8"))
