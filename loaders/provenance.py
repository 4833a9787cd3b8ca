"""PROV-O descriptions of the graphs a load fills and of the load itself.

Public graphs are described in the provenance graph, restricted ones (IRI ending
'/restricted') only in the restricted provenance graph: nothing about a restricted graph
appears in a public one. The load is a ``jg:Load, prov:Activity`` with its times, the
loader's version and every input file with its SHA-256 checksum — in the restricted
provenance graph for a file that holds only restricted records (its name and checksum
would tell that restricted records exist; issue #17, item 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox

from justicegraph.loaders import terms as t
from justicegraph.loaders.mapping import GraphInfo
from justicegraph.loaders.terms import LABEL, A, jg, node
from justicegraph.namespaces import Minter

GRAPH_CLASS = {"testimony": "Testimony", "narration": "SourceNarration", "curated": "CuratedGraph",
               "import": "AssertionGraph"}


@dataclass(frozen=True)
class Input:
    name: str  # the file's name, never a full path
    checksum: str  # 'sha256:' + hex
    restricted: bool = False  # holds restricted records only: described where only the read token sees
    source: str = ""  # the path as given (matches Record.file), never written


def describe_graphs(graphs: dict[str, GraphInfo], minter: Minter, dataset: str, load: str) -> list[ox.Quad]:
    buffer = t.QuadBuffer()
    for info in graphs.values():
        target = node(minter.restricted_provenance_graph if info.restricted else minter.provenance_graph)
        g = node(info.iri)

        def add(p, o, g=g, target=target):
            buffer.add(g, p, o, target)

        if info.kind in GRAPH_CLASS:  # a graph a pass-through file describes keeps its own type
            add(A, jg(GRAPH_CLASS[info.kind]))
        add(A, node(t.PROV + "Bundle"))
        add(node(t.PROV + "wasGeneratedBy"), node(load))
        add(jg("dataset"), t.text(dataset))
        add(jg("accessLevel"), t.RESTRICTED if info.restricted else t.PUBLIC)
        if info.attributed_to:
            add(node(t.PROV + "wasAttributedTo"), node(info.attributed_to))
        if info.derived_from:
            add(node(t.PROV + "wasDerivedFrom"), node(info.derived_from))
        if info.locator:
            add(jg("locator"), t.text(info.locator))
        if info.label:
            add(LABEL, t.en(info.label))
        if info.kind == "testimony" and info.record is not None and not info.twin:
            add(jg("recordId"), t.text(info.record.values["id"]))
    return buffer.finish()


def describe_load(minter: Minter, dataset: str, load: str, started: datetime, ended: datetime,
                  inputs: list[Input], version: str) -> list[ox.Quad]:
    g = node(minter.provenance_graph)
    s = node(load)
    buffer = t.QuadBuffer()
    for p, o in ((A, jg("Load")), (A, node(t.PROV + "Activity")), (LABEL, t.en(f"Load of dataset {dataset}")),
                 (jg("dataset"), t.text(dataset)), (jg("loaderVersion"), t.text(version)),
                 (node(t.PROV + "startedAtTime"), t.typed(_stamp(started), t.T_DATETIME)),
                 (node(t.PROV + "endedAtTime"), t.typed(_stamp(ended), t.T_DATETIME))):
        buffer.add(s, p, o, g)
    hidden = node(minter.restricted_provenance_graph)
    public = [i for i in inputs if not i.restricted]
    restricted = [i for i in inputs if i.restricted]
    if restricted:  # the load as the restricted graph knows it: what a re-load finds and replaces
        for p, o in ((A, jg("Load")), (jg("dataset"), t.text(dataset))):
            buffer.add(s, p, o, hidden)
    # Numbered apart, so the public numbering has no gaps where a restricted file was.
    for graph, items, path in ((g, public, "input"), (hidden, restricted, "restricted-input")):
        for n, item in enumerate(items, 1):
            used = node(f"{load}/{path}/{n}")
            buffer.add(s, node(t.PROV + "used"), used, graph)
            buffer.add(used, A, node(t.PROV + "Entity"), graph)
            buffer.add(used, jg("inputFile"), t.text(item.name), graph)
            buffer.add(used, jg("checksum"), t.text(item.checksum), graph)
    return buffer.finish()


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
