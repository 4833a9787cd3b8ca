"""Run HermiT, the OWL 2 DL reasoner bundled with owlready2, and read what it reports.

The ontology and data are loaded into an isolated owlready2 ``World`` (owlready2 reads
N-Triples, not Turtle) and saved from it for HermiT, exactly as owlready2's own
``sync_reasoner_hermit`` does. We start the Java process ourselves, with owlready2's class
path and command line, because:

- owlready2 writes results into its Python world keeping only the most specific facts and
  dropping a relation whose inverse is already stored (``siblingOf(b, a)`` when
  ``siblingOf(a, b)`` is there), so the inferred triples cannot be read back completely;
- we need a timeout, HermiT's own error text, and JVM options: with only the JIT's first
  tier (``-XX:TieredStopAtLevel=1``) HermiT classifies the 1988 data in about 3 s instead
  of 9 s on two cores, the optimising compiler costing more than it saves on runs this short.

HermiT is asked for classification (``-c``: consistency, class hierarchy, unsatisfiable
classes) and realisation (``-I``: the classes of every individual). Its property-value
report (``-Y``) is not used: it doubles the time and leaves out values of super-properties
and of some property chains; property values come from reasoning_rules instead.

HermiT only parses literals of the OWL 2 datatype map: ``xsd:date`` and EDTF literals
(jg:earliest, jg:latest, jg:time) are skipped with ``--ignoreUnsupportedDatatypes``;
their checks live in the SHACL shapes.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

JAVA_HINT = "install Java with: apt-get install default-jre-headless"
OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
_AXIOM = re.compile(r"^(SubClassOf|EquivalentClasses|Type)\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)
_IRI = re.compile(r"<([^>]+)>")


class JavaMissing(RuntimeError):
    """No Java runtime: HermiT cannot run."""


class ReasonerFailed(RuntimeError):
    """HermiT ran but failed (parse error, timeout, out of memory)."""


@dataclass
class HermitReport:
    consistent: bool
    seconds: float
    unsatisfiable: set[str] = field(default_factory=set)
    superclasses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # direct
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # direct, named


def find_java(java: str = "java") -> str:
    """Path of the Java executable, or JavaMissing with the one-line fix."""
    path = shutil.which(java)
    if path is None:
        raise JavaMissing(f"Java is missing ({java!r} not found): HermiT needs it; {JAVA_HINT}")
    return path


def load_world(ntriples: bytes):
    """An isolated owlready2 World holding the given N-Triples."""
    import owlready2

    world = owlready2.World()
    world.get_ontology("https://w3id.org/justicegraph/reasoning-input").load(
        fileobj=io.BytesIO(ntriples), format="ntriples"
    )
    return world


def run(world, *, java: str = "java", timeout: float = 300.0, memory_mb: int = 2000,
        consistency_only: bool = False) -> HermitReport:
    """Consistency, classification and realisation (types of individuals) for everything in
    ``world``; with ``consistency_only``, just consistency (quicker: used for ablation)."""
    with tempfile.TemporaryDirectory(prefix="jg-hermit-") as tmp:
        path = Path(tmp) / "input.nt"
        world.save(str(path), format="ntriples")
        return run_file(path, java=java, timeout=timeout, memory_mb=memory_mb, consistency_only=consistency_only)


def run_ntriples(data: bytes, **options) -> HermitReport:
    """The same on N-Triples given directly: the many small consistency checks of the
    ablation skip owlready2's load and save, which add nothing to a yes/no answer."""
    with tempfile.TemporaryDirectory(prefix="jg-hermit-") as tmp:
        path = Path(tmp) / "input.nt"
        path.write_bytes(data)
        return run_file(path, **options)


def run_file(path: Path, *, java: str = "java", timeout: float = 300.0, memory_mb: int = 2000,
             consistency_only: bool = False) -> HermitReport:
    from owlready2 import reasoning

    java_path = find_java(java)
    tasks = ["-k"] if consistency_only else ["-c", "-I"]
    command = [java_path, f"-Xmx{memory_mb}M", "-XX:TieredStopAtLevel=1", "-cp", reasoning._HERMIT_CLASSPATH,
               "org.semanticweb.HermiT.cli.CommandLine", *tasks, path.as_uri(), "--ignoreUnsupportedDatatypes"]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ReasonerFailed(f"HermiT did not finish within {timeout:g} s") from None
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        if "InconsistentOntologyException" in done.stderr or "Inconsistent ontology" in done.stderr:
            return HermitReport(consistent=False, seconds=seconds)
        raise ReasonerFailed("HermiT failed: " + _java_error(done.stderr))
    if consistency_only:
        return HermitReport(consistent="is not satisfiable" not in done.stdout, seconds=seconds)
    return parse(done.stdout, seconds)


def parse(output: str, seconds: float = 0.0) -> HermitReport:
    report = HermitReport(consistent=True, seconds=seconds)
    for relation, iris in _AXIOM.findall(output):
        names = _IRI.findall(iris)
        if relation == "SubClassOf":
            report.superclasses[names[0]].add(names[1])
        elif relation == "Type":
            report.types[names[0]].add(names[1])
        elif OWL_NOTHING in names:
            report.unsatisfiable.update(n for n in names if n != OWL_NOTHING)
        else:  # equivalent classes: each is a superclass of the others
            for a in names:
                report.superclasses[a].update(n for n in names if n != a)
    return report


def _java_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("\tat ")]
    return " ".join(lines[:3])[:500] or "no error message"
