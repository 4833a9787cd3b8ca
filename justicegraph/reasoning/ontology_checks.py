"""Quality checks of the ontology: SPARQL queries that must return no rows, and a real OWL 2
DL profile check.

The checks (``ontology/checks/*-violation.rq``, after the OBO/SOSA practice) run over one
in-memory dataset with four named graphs — the ontology (core + alignment), the vocabularies,
the SHACL shapes and sample data as the loaders produce it — so that a check can ask, e.g.,
"used in the data but declared nowhere".

The profile check is the OWL API's ``OWL2DLProfile`` (OWL API 3.4, the copy inside
owlready2's HermiT.jar, so nothing more to install), run by ``ontology/checks/ProfileCheck.java``
through Java's single-file source launcher, which needs a JDK (javac), not just a JRE.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import OWL

from justicegraph.resources import package_dir

GRAPHS = {name: ox.NamedNode(f"urn:x-justicegraph:check:{name}")
          for name in ("ontology", "vocabulary", "shapes", "data")}
JDK_HINT = "install a JDK with: apt-get install default-jdk-headless"


def checks_dir() -> Path:
    return package_dir("ontology") / "checks"


def check_queries(folder: Path | None = None) -> dict[str, str]:
    """name (file stem) → query text, for every ``*-violation.rq``."""
    folder = folder or checks_dir()
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*-violation.rq"))}


def check_dataset(ontology: Graph, vocabulary: Graph, shapes: Graph, data: Iterable) -> ox.Store:
    """The dataset the checks read; ``data`` is triples or quads (their graphs are merged)."""
    store = ox.Store()
    for name, graph in (("ontology", ontology), ("vocabulary", vocabulary), ("shapes", shapes)):
        store.extend(ox.Quad(*_ox_triple(t), GRAPHS[name]) for t in graph)
    store.extend(ox.Quad(q.subject, q.predicate, q.object, GRAPHS["data"]) for q in data)
    return store


def run_checks(store: ox.Store, queries: dict[str, str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """check name → violations as (term, problem); an empty list means the check passes."""
    results = {}
    for name, text in (queries or check_queries()).items():
        results[name] = [(row["term"].value if hasattr(row["term"], "value") else str(row["term"]),
                          row["problem"].value) for row in store.query(text)]
    return results


def profile_violations(graph: Graph, *, java: str = "java", timeout: float = 300.0) -> list[str]:
    """OWL 2 DL profile violations of ``graph`` (owl:imports dropped: imports are merged in
    already and the OWL API would fetch them). Raises RuntimeError when it cannot run."""
    from owlready2 import reasoning

    if shutil.which(java) is None or shutil.which("javac") is None:
        raise RuntimeError(f"the OWL 2 DL profile check needs a JDK (java and javac); {JDK_HINT}")
    merged = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            merged.add(triple)
    with tempfile.TemporaryDirectory(prefix="jg-profile-") as tmp:
        path = Path(tmp) / "ontology.owl"
        merged.serialize(path, format="xml")
        jar = str(Path(reasoning._HERMIT_CLASSPATH.split(":")[-1]))
        done = subprocess.run([java, "-XX:TieredStopAtLevel=1", "-cp", jar, str(checks_dir() / "ProfileCheck.java"), str(path)],
                              capture_output=True, text=True, timeout=timeout)
    if done.returncode not in (0, 1) or "violations" not in done.stdout:
        raise RuntimeError("the OWL 2 DL profile check failed to run: " + (done.stderr or done.stdout)[-500:])
    return [line[len("VIOLATION "):] for line in done.stdout.splitlines() if line.startswith("VIOLATION ")]


def _ox_triple(triple) -> tuple:
    from justicegraph.reasoning.explain import _ox

    return tuple(_ox(term) for term in triple)
