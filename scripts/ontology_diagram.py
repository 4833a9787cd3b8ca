"""Draw the ontology's classes and properties with Graphviz (`make diagram`).

    python scripts/ontology_diagram.py docs/ontology.svg     # needs `dot` (Debian: graphviz)
    python scripts/ontology_diagram.py --dot > ontology.dot  # the DOT text only

Classes are boxes listing their datatype properties; solid arrows are object properties
from domain to range (one arrow per member of a union domain or range); hollow-headed
arrows are rdfs:subClassOf. Properties without a domain are listed in a note. The output
is sorted, so the same ontology always gives the same DOT text.
"""

from __future__ import annotations

import argparse
import html
import subprocess
import sys
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

ROOT = Path(__file__).resolve().parent.parent
JG = "https://w3id.org/justicegraph/ontology#"
NEWLINE = "\\n"  # a line break inside a DOT label
SKOS_CONCEPT = URIRef("http://www.w3.org/2004/02/skos/core#Concept")


def short(iri) -> str:
    iri = str(iri)
    if iri.startswith(JG):
        return iri[len(JG):]
    if iri == str(SKOS_CONCEPT):
        return "skos:Concept"
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def members(graph: Graph, node) -> list:
    """A named class, or the members of an owl:unionOf."""
    if isinstance(node, URIRef):
        return [node]
    union = graph.value(node, OWL.unionOf) if isinstance(node, BNode) else None
    return list(Collection(graph, union)) if union is not None else []


def ours(graph: Graph, kind) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef) and str(s).startswith(JG))


def dot(graph: Graph) -> str:
    classes = ours(graph, OWL.Class)
    data_props: dict[URIRef, list[str]] = {c: [] for c in classes}
    loose: list[str] = []
    for prop in ours(graph, OWL.DatatypeProperty):
        domains = [d for node in graph.objects(prop, RDFS.domain) for d in members(graph, node)]
        for d in domains:
            data_props.setdefault(d, []).append(short(prop))
        if not domains:
            loose.append(short(prop))
    lines = ["digraph justicegraph {", '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.6];',
             '  node [shape=plain, fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];']
    for cls in classes:
        rows = "".join(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9">{html.escape(p)}</FONT></TD></TR>'
                       for p in sorted(data_props.get(cls, [])))
        lines.append(f'  "{short(cls)}" [label=<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">'
                     f'<TR><TD BGCOLOR="#dde6f0"><B>{short(cls)}</B></TD></TR>{rows}</TABLE>>];')
    lines.append('  "skos:Concept" [shape=box, style=dashed, fontsize=10];')
    for cls in classes:
        for sup in sorted(o for o in graph.objects(cls, RDFS.subClassOf) if isinstance(o, URIRef)):
            lines.append(f'  "{short(cls)}" -> "{short(sup)}" [arrowhead=empty, color="#555555"];')
    edges: dict[tuple[str, str], list[str]] = {}
    for prop in ours(graph, OWL.ObjectProperty):
        domains = [d for n in graph.objects(prop, RDFS.domain) for d in members(graph, n)]
        ranges = [r for n in graph.objects(prop, RDFS.range) for r in members(graph, n)]
        if not domains:
            loose.append(short(prop) + (f" → {', '.join(short(r) for r in ranges)}" if ranges else ""))
        for d in sorted(domains):
            for r in sorted(ranges) or [None]:
                target = short(r) if r is not None else None
                if target is None:
                    loose.append(f"{short(prop)} (from {short(d)})")
                    continue
                edges.setdefault((short(d), target), []).append(short(prop))
    for (source, target), names in sorted(edges.items()):
        # One arrow per pair of classes, labelled with every property between them.
        label = NEWLINE.join(sorted(names))
        lines.append(f'  "{source}" -> "{target}" [label="{label}", color="#1f5f99"];')
    note = "\\l".join(sorted(set(loose))) + "\\l"
    lines.append(f'  "properties without domain or range" [shape=note, fontsize=9, label="properties without '
                 f'domain or range:\\l{note}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default=str(ROOT / "docs" / "ontology.svg"))
    parser.add_argument("--dot", action="store_true", help="print the DOT text instead of running dot")
    args = parser.parse_args(argv)
    graph = Graph().parse(ROOT / "ontology" / "justicegraph.ttl", format="turtle")
    text = dot(graph)
    if args.dot:
        sys.stdout.write(text)
        return 0
    done = subprocess.run(["dot", "-Tsvg", "-o", args.output], input=text, text=True)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
