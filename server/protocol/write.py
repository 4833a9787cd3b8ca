"""Every write (SPARQL Update, Graph Store Protocol) goes through here:

1. the caller must hold the write token (writes are off when none is configured);
2. inside one write session (the inter-process write lock) the change is computed as quads
   removed / added and graphs dropped / created — for an Update by running it on an
   in-memory copy in a killable executor;
3. a change that touches a system graph (provenance, ontology, vocabulary, inferred, audit)
   is refused (403): only loads write those;
4. the change, together with the audit record of the write, is validated with SHACL
   (``justicegraph.validation.validate_quads``); an invalid change is refused (422) with
   the report and nothing is written;
5. the change is applied to the store and its record to the audit (server/protocol/audit.py:
   a log outside the store and every dataset), and a new snapshot published.

The audit record: ``<{base}write/{uuid}> a prov:Activity`` with start/end time,
``jg:writtenBy`` (the token's name), ``jg:checksum`` (sha256 of the request body),
``prov:generated`` for each graph the write changed; a graph that the provenance graph does
not describe (one a load did not make) is described in the record (``jg:AssertionGraph``,
access level from its IRI, ``prov:wasGeneratedBy`` the write), as the shapes ask of every
graph. Writes that touch a restricted graph are recorded in the restricted audit graph.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Response, request

from justicegraph import access
from justicegraph.server.web import context
from justicegraph.server.web.errors import ApiError

PROV = "http://www.w3.org/ns/prov#"
JG = "https://w3id.org/justicegraph/ontology#"
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
ACCESS = "https://w3id.org/justicegraph/vocab/access/"


@dataclass
class Change:
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    def graphs(self) -> set[str]:
        names = {q.graph_name.value for q in self.added + self.removed if isinstance(q.graph_name, ox.NamedNode)}
        return names | set(self.dropped) | set(self.created)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.dropped or self.created)


class InvalidWrite(ApiError):
    """A change SHACL refuses; carries the report (answered as Turtle or JSON by Accept)."""

    def __init__(self, report):
        super().__init__(422, "The change does not conform to the shapes; nothing was written.",
                         {"results": report.results})
        self.report = report

    def custom_response(self):
        if not wants_turtle():
            return None
        return Response(self.report.to_turtle(), status=422, mimetype="text/turtle")


def require_writer() -> None:
    """401 without a token, 403 with the wrong kind; writes off without a write token."""
    s = context.settings()
    if not s.writes_enabled:
        raise ApiError(403, "Writes are disabled on this server (no write token is configured).")
    given = context.bearer_token()
    challenge = 'Bearer realm="justicegraph"'
    if given is None:
        raise ApiError(401, "Writing needs 'Authorization: Bearer <write token>'.",
                       headers={"WWW-Authenticate": challenge})
    if access.token_matches(given, s.write_token):
        return
    if access.token_matches(given, s.read_token):
        raise ApiError(403, "This token may read restricted graphs but not write.",
                       headers={"WWW-Authenticate": challenge + ', error="insufficient_scope"'})
    raise ApiError(401, "The bearer token is not valid for writing.",
                   headers={"WWW-Authenticate": challenge + ', error="invalid_token"'})


def public_part(change: Change) -> tuple:
    """What a change does to the public graphs (and the default graph), comparable between two
    runs of one update: added quads canonicalised (fresh blank nodes get new labels each run)."""
    def public(q: ox.Quad) -> bool:
        return not (isinstance(q.graph_name, ox.NamedNode) and access.is_restricted(q.graph_name.value))

    added = ox.Dataset([q for q in change.added if public(q)])
    added.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return (frozenset(added), frozenset(q for q in change.removed if public(q)),
            frozenset(g for g in change.dropped if not access.is_restricted(g)),
            frozenset(g for g in change.created if not access.is_restricted(g)))


def refuse_restricted_flow() -> ApiError:
    return ApiError(403, "The update would write into public graphs what it reads from restricted graphs "
                         "(copying, moving, or choosing what to write by them); nothing was written. "
                         "Restricted material may only be written into restricted graphs.")


def checksum(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def provenance(change: Change, reader, *, description: str, body_checksum: str, started: dt.datetime,
               audit=None) -> list[ox.Quad]:
    s = context.settings()
    minter = s.minter
    prov_graphs = {minter.provenance_graph, minter.restricted_provenance_graph}
    system = minter.system_graphs
    graphs = sorted(change.graphs() - prov_graphs)
    restricted = any(access.is_restricted(g) for g in graphs)
    where = ox.NamedNode(minter.restricted_provenance_graph if restricted else minter.provenance_graph)
    activity = ox.NamedNode(f"{minter.base}write/{uuid.uuid4()}")

    def q(s_, p, o, g=where):
        return ox.Quad(s_, ox.NamedNode(p) if isinstance(p, str) else p, o, g)

    now = dt.datetime.now(dt.UTC)
    out = [q(activity, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
           q(activity, RDFS_COMMENT, ox.Literal(description, language="en")),
           q(activity, PROV + "startedAtTime", ox.Literal(started.isoformat(), datatype=XSD_DATETIME)),
           q(activity, PROV + "endedAtTime", ox.Literal(now.isoformat(), datatype=XSD_DATETIME)),
           q(activity, JG + "writtenBy", ox.Literal(s.write_token_name)),
           q(activity, JG + "checksum", ox.Literal(body_checksum))]
    for g in graphs:
        verb = "invalidated" if g in change.dropped else "generated"
        out.append(q(activity, PROV + verb, ox.NamedNode(g)))
    needing = _needing_description(change, reader, graphs, prov_graphs) - system
    if audit is not None:  # described by an earlier write over HTTP
        needing -= {q.subject.value for q in audit.descriptions(sorted(needing))}
    for g in sorted(needing):
        node = ox.NamedNode(g)
        gwhere = ox.NamedNode(minter.restricted_provenance_graph if access.is_restricted(g)
                              else minter.provenance_graph)
        level = "restricted" if access.is_restricted(g) else "public"
        out += [q(node, RDF_TYPE, ox.NamedNode(JG + "AssertionGraph"), gwhere),
                q(node, JG + "accessLevel", ox.NamedNode(ACCESS + level), gwhere),
                q(node, PROV + "wasGeneratedBy", activity, gwhere)]
    return out


def _needing_description(change: Change, reader, touched: list[str], prov_graphs: set[str]) -> set[str]:
    """Graphs that exist after the change but that the provenance graph would not describe:
    the ones the change writes to, and the ones whose description the change removes."""
    added_graphs = {q.graph_name.value for q in change.added if isinstance(q.graph_name, ox.NamedNode)}
    after = (set(reader.graphs()) - set(change.dropped)) | set(change.created) | added_graphs
    candidates = set(touched)
    for quad in change.removed:
        if (isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in prov_graphs
                and quad.predicate == RDF_TYPE and isinstance(quad.subject, ox.NamedNode)):
            candidates.add(quad.subject.value)
    if prov_graphs & set(change.dropped):
        candidates |= after
    candidates &= after
    self_described = {q.subject.value for q in change.added if q.predicate == RDF_TYPE
                      and isinstance(q.subject, ox.NamedNode) and isinstance(q.graph_name, ox.NamedNode)
                      and q.graph_name.value in prov_graphs}
    return candidates - self_described - _described(reader, sorted(candidates), change, prov_graphs)


def _described(reader, graphs: list[str], change: Change, prov_graphs: set[str]) -> set[str]:
    """Graphs the provenance graph describes (typed) and will still describe after the change."""
    if not graphs:
        return set()
    values = " ".join(str(ox.NamedNode(g)) for g in graphs)
    pgs = " ".join(str(ox.NamedNode(g)) for g in sorted(prov_graphs))
    query = (f"SELECT ?g ?pg ?type WHERE {{ VALUES ?g {{ {values} }} VALUES ?pg {{ {pgs} }} "
             f"GRAPH ?pg {{ ?g a ?type }} }}")
    removed = set(change.removed)
    out = set()
    for row in reader.query(query):
        if row["pg"].value in change.dropped:
            continue
        if ox.Quad(row["g"], RDF_TYPE, row["type"], row["pg"]) not in removed:
            out.add(row["g"].value)
    return out


def validate(change: Change, prov: list[ox.Quad], reader, audit=None) -> None:
    from justicegraph.validation import validate_quads  # pyshacl: imported on the write path only

    quads = change.added + prov + _remaining_context(change, reader)
    if audit is not None:
        # graphs made over HTTP are described in the audit (the shapes ask every graph to be)
        quads += audit.descriptions(sorted({q.graph_name.value for q in quads
                                            if isinstance(q.graph_name, ox.NamedNode)}))
    report = validate_quads(quads, reader, deleted=change.removed, dropped_graphs=change.dropped,
                            minter=context.settings().minter, validator=context.settings().validator)
    if not report.conforms:
        raise InvalidWrite(report)


def _remaining_context(change: Change, reader) -> list[ox.Quad]:
    """Subjects that lose triples must still conform afterwards: one quad each that stays
    makes them focus nodes (validate_quads then reads the rest of them, minus what goes)."""
    added_subjects = {q.subject for q in change.added}
    gone = set(change.removed)
    out, seen = [], set()
    for q in change.removed:
        s = q.subject
        if not isinstance(s, ox.NamedNode) or s in added_subjects or s in seen:
            continue
        seen.add(s)
        for candidate in subject_quads(reader, s):
            if candidate not in gone and not (isinstance(candidate.graph_name, ox.NamedNode)
                                              and candidate.graph_name.value in change.dropped):
                out.append(candidate)
                break
    return out


def graph_quads(store, graph) -> list[ox.Quad]:
    """Quads of one graph (ox.DefaultGraph or ox.NamedNode) of any GraphStore."""
    if hasattr(store, "engine"):
        return list(store.engine.quads_for_pattern(None, None, None, graph))
    if isinstance(graph, ox.NamedNode):
        return list(store.quads(graph.value))
    return [q for q in store.quads() if isinstance(q.graph_name, ox.DefaultGraph)]


def subject_quads(store, subject: ox.NamedNode):
    if hasattr(store, "engine"):
        return store.engine.quads_for_pattern(subject, None, None, None)
    rows = store.query(f"SELECT ?p ?o ?g WHERE {{ {{ GRAPH ?g {{ {subject} ?p ?o }} }} UNION {{ {subject} ?p ?o }} }}")
    return (ox.Quad(subject, r["p"], r["o"], r["g"] or ox.DefaultGraph()) for r in rows)


def refuse_system_graphs(graphs) -> None:
    """403 for a write naming or changing a system graph: loads write those (the provenance
    graph, the ontology, the vocabularies, the inferred graphs) or nobody (the audit)."""
    system = context.settings().minter.system_graphs
    touched = sorted(set(graphs) & system)
    if touched:
        raise ApiError(403, f"<{touched[0]}> is a system graph: it is written by loads only, never over HTTP; "
                            "nothing was written.", {"graphs": touched})


def commit(primary, reader, change: Change, *, description: str, body_checksum: str,
           started: dt.datetime, metrics, audit, audit_in_store: bool) -> None:
    """Refuse a change of a system graph; describe the change in PROV-O, validate it with its
    description, then write both — the change to the store, the description to the audit.
    ``audit_in_store``: the record goes into the store's audit graph in the same transaction
    as the change, and the write session moves it to the log (server/protocol/audit.py);
    otherwise it is appended to the log once the change is written. An invalid change is
    refused whole (InvalidWrite) and counted."""
    refuse_system_graphs(change.graphs())
    prov = provenance(change, reader, description=description, body_checksum=body_checksum, started=started,
                      audit=audit)
    try:
        validate(change, prov, reader, audit)
    except InvalidWrite:
        metrics.inc("justicegraph_writes_refused_total")
        raise
    record = audit_record(prov)
    apply(primary, change, record if audit_in_store else [])
    if not audit_in_store:
        audit.append(record)


def audit_record(prov: list[ox.Quad]) -> list[ox.Quad]:
    """The write's description, from the provenance graphs (where validation reads it) into
    the audit graphs (where it is kept)."""
    minter = context.settings().minter
    public, restricted = minter.audit_graphs
    moved = {minter.provenance_graph: ox.NamedNode(public), minter.restricted_provenance_graph: ox.NamedNode(restricted)}
    return [ox.Quad(q.subject, q.predicate, q.object, moved[q.graph_name.value]) for q in prov]


def apply(primary, change: Change, prov: list[ox.Quad]) -> None:
    """Write the change and its provenance as ONE atomic store change, whatever its terms:
    the embedded store keeps blank node labels and makes a change holding them atomic
    through its redo journal (justicegraph/store/journal.py); a write session records the
    change for the snapshot's public view. Empty graphs are created only on the embedded
    store (a remote engine keeps no empty graphs)."""
    insert = change.added + prov
    dropped = set(change.dropped)
    removed = [q for q in change.removed
               if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in dropped)]
    if change.created and getattr(primary, "engine", None) is not None:
        primary.apply(drop_graphs=change.dropped, delete=removed, insert=insert, create_graphs=change.created)
    else:
        primary.apply(drop_graphs=change.dropped, delete=removed, insert=insert)


def wants_turtle() -> bool:
    from justicegraph.server.web.conneg import Format, negotiate

    offers = (Format("json", "application/json"), Format("turtle", "text/turtle"))
    chosen = negotiate(request.headers.get("Accept"), offers)
    return chosen is not None and chosen.name == "turtle"
