"""Validation alone, fast vs pyshacl (and pyrudof, a Rust SHACL engine, when installed), on
cached N-Quads (bench/data/p<people>-s1/all.nq): seconds (wall and CPU), quads per second and
peak RSS, each run in its own process.

    .venv/bin/python bench/validators.py bench/data/p1000-s1/all.nq [--validators fast,pyshacl,pyrudof]

Prints one JSON line per run. CPU seconds are the steadier figure on a shared machine.
pyrudof is not a dependency (it was measured and not adopted: docs/performance.md,
"Validated load"); it is given the same union graph pyshacl gets (background, graph and
access markers, ill-typed literals taken out) and the same shapes, and its time counts reading
both and validating, not preparing that graph.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def one(path: str, validator: str) -> dict:
    import pyoxigraph as ox

    from justicegraph.validation import background, validate, validation_shapes

    background()
    validation_shapes()  # parsed once, as in a long-running process
    quads = list(ox.parse(path=path, format=ox.RdfFormat.N_QUADS))
    if validator == "pyrudof":
        conforms, results, wall, cpu = rudof(quads)
    else:
        wall, cpu = time.perf_counter(), time.process_time()
        report = validate(quads, validator=validator)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        conforms, results = report.conforms, len(report.results)
    return {"data": path, "validator": validator, "quads": len(quads), "conforms": conforms,
            "results": results, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "quads_per_s_wall": round(len(quads) / wall), "quads_per_s_cpu": round(len(quads) / cpu),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def rudof(quads: list) -> tuple[bool, int, float, float]:
    import pyoxigraph as ox
    import pyrudof
    from rdflib import RDF, URIRef

    from justicegraph import validation
    from justicegraph.namespaces import Minter

    union = validation._union_of(quads)  # what pyshacl is given (validation._run)
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    for g in graphs - Minter().system_graphs:
        union.add((URIRef(g), RDF.type, validation.NAMED_GRAPH))
    for triple in validation.background():
        union.add(triple)
    validation._add_access_markers(union)
    validation._remove_ill_typed(union, None)
    data, shapes = union.serialize(format="nt"), validation.validation_shapes().serialize(format="turtle")
    wall, cpu = time.perf_counter(), time.process_time()
    engine = pyrudof.Rudof(pyrudof.RudofConfig())
    engine.read_shacl(shapes, pyrudof.ShaclFormat.Turtle)
    engine.read_data(data, pyrudof.RDFFormat.NTriples)
    report = engine.validate_shacl()
    return report.conforms, len(report), time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="+")
    parser.add_argument("--validators", default="fast,pyshacl")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.data[0], args.validators)))
        return
    for path in args.data:
        for validator in args.validators.split(","):
            out = subprocess.run([sys.executable, __file__, "--child", "--validators", validator, path],
                                 capture_output=True, text=True, check=False)
            print(out.stdout.strip() or json.dumps({"data": path, "validator": validator, "error": out.stderr[-500:]}),
                  flush=True)


if __name__ == "__main__":
    main()
