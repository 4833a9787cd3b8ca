"""One load: parse → check → resolve references → map → validate (SHACL) → commit, the
commit being ONE atomic store change. Any error anywhere means nothing is written.

Re-loading a dataset replaces every graph it produced before (found in the provenance
graphs through ``jg:dataset``), together with their descriptions and the old load's: loads
are idempotent.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from justicegraph import __version__
from justicegraph.access import is_restricted
from justicegraph.loaders import rdfimport, system
from justicegraph.loaders.checks import check_records
from justicegraph.loaders.errors import LoadError, RecordError
from justicegraph.loaders.kinds import ASSERTED_KINDS, KINDS
from justicegraph.loaders.mapping import FIELD_OF, GraphInfo, Mapper, Resolved
from justicegraph.loaders.provenance import Input, describe_graphs, describe_load
from justicegraph.loaders.readers import MAX_FILE_BYTES, Record, read_csv, read_input, read_json, read_yaml
from justicegraph.loaders.state import DatasetState, find_state, graph_owners, lookup_ids
from justicegraph.namespaces import Minter
from justicegraph.validation import ValidationReport, validate_quads

DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
RECORD_SUFFIXES = {".csv", ".json", ".yaml", ".yml"}
Progress = Callable[[str], None]

# A big load hands its mapped quads to the staged commit after every this many records.
MAP_PART_RECORDS = 2000

# Fields holding references, per kind (checked against the batch and the store).
REFERENCE_FIELDS = {kind: [n for n, f in spec.items() if f.type == "ref"] for kind, spec in KINDS.items()}


@dataclass
class LoadResult:
    dataset: str
    load: str
    graphs: list[str]
    inserted: int
    replaced: list[str]
    records: int
    seconds: float
    dry_run: bool
    report: ValidationReport | None = None
    inputs: list[Input] = field(default_factory=list)


def dataset_name(paths: list[Path], given: str | None) -> str:
    name = given or (paths[0].name if paths[0].is_dir() else paths[0].stem)
    if not DATASET_NAME.match(name):
        raise LoadError([RecordError(str(paths[0]), None, None, None, "dataset",
                                     f"{name!r} is not a dataset name (letters, digits, '.', '_', '-'); use --dataset")])
    return name


def load(store, paths: Iterable[str | Path], *, dataset: str | None = None, minter: Minter | None = None,
         dry_run: bool = False, shacl: bool = True, progress: Progress | None = None, allow_empty: bool = False,
         max_file_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Load record files and directories as one dataset. Raises LoadError (nothing written).

    Input that holds no records is refused unless ``allow_empty`` (then a re-load removes the
    dataset's graphs); no file larger than ``max_file_bytes`` is read."""
    clock = time.perf_counter()
    started = datetime.now(UTC)
    minter = minter or Minter()
    step = progress or (lambda _stage: None)
    paths = [Path(p) for p in paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise LoadError([RecordError(str(p), None, None, None, "file", "no such file or directory") for p in missing])
    name = dataset_name(paths, dataset)
    with _collector_paused():
        return _load(store, paths, name, minter, started, clock, dry_run, shacl, step, allow_empty, max_file_bytes)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A load allocates millions of objects that live until it ends and form no cycles;
    Python's cyclic collector would walk them again and again (~20% of a 1M-quad load)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(store, paths: list[Path], name: str, minter: Minter, started: datetime, clock: float, dry_run: bool,
          shacl: bool, step: Progress, allow_empty: bool, max_file_bytes: int) -> LoadResult:
    errors: list[RecordError] = []
    records, passthrough, inputs = _read(paths, name, minter, errors, step, max_file_bytes)
    step("checking records")
    check_records(records, errors)
    state = find_state(store, name, minter)
    if not records and not any(quads for _display, quads in passthrough) and not errors and not allow_empty:
        # Never replace a dataset by nothing without being asked (issue #17).
        replaced = (f": loading it would replace dataset {name!r} ({len(state.graphs)} graphs) by nothing; "
                    "give --allow-empty to do that") if state.graphs else ""
        errors.append(RecordError(", ".join(map(str, paths)), None, None, None, "empty", f"no records found{replaced}"))
    index = _resolve(store, records, state, errors, minter)
    _check_passthrough_owners(store, passthrough, name, minter, errors)
    if errors:
        raise LoadError(errors)

    step("mapping")
    load_iri = minter.load_activity(started.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4))
    mapper = Mapper(minter, name, index)
    system_quads = system.quads(minter)
    # The ontology and vocabularies are rewritten only when they changed (a new version of
    # the package): a load that drops nothing is then a pure insert, the fast commit.
    drop, system_changed = set(state.graphs), not dry_run and not system.unchanged(store, minter)
    if system_changed:
        drop |= system.graphs(minter)
    # A big change is built in a copy of the store (swap.py), by a child process that takes
    # the quads while they are mapped and validated; nothing of it is visible until
    # commit(), and a refused load aborts it.
    stream = None if dry_run else _Stream(store, sorted(drop), state.provenance_quads)
    staged = None
    try:
        mapper.map_all(records, stream.take if stream is not None and stream.open else None, MAP_PART_RECORDS)
        data = mapper.quads
        for display, quads in passthrough:
            data.extend(quads)
            _register_passthrough(mapper, quads, display, minter)
        provenance = _passthrough_descriptions(mapper, passthrough, minter)
        provenance += describe_graphs(mapper.graphs, minter, name, load_iri)
        inputs = _mark_restricted_inputs(inputs, records, passthrough, index)
        provenance += describe_load(minter, name, load_iri, started, datetime.now(UTC), inputs, __version__)

        if not dry_run:
            inserted = data + provenance + (system_quads if system_changed else [])
            change = {"drop_graphs": sorted(drop), "delete": state.provenance_quads, "insert": inserted}
            rest = [q for _display, quads in passthrough for q in quads] + provenance
            staged = stream.finish(rest + (system_quads if system_changed else []), inserted)
            stage = getattr(store, "stage", None)
            if staged is None and stage is not None:
                staged = stage(**change)
        report = None
        if shacl:
            step("validating (SHACL)")
            report = validate_quads(data + provenance, store, deleted=state.provenance_quads,
                                    dropped_graphs=state.graphs, minter=minter)
            if not report.conforms:
                raise LoadError(_shacl_errors(report, mapper, name))
    except BaseException:
        if stream is not None:
            stream.abort()
        if staged is not None:
            staged.abort()
        raise
    if not dry_run:
        step("committing")
        if staged is not None:
            staged.commit()
        else:
            store.apply(**change)
    graphs = sorted({q.graph_name.value for q in data} | set(mapper.graphs))
    return LoadResult(name, load_iri, graphs, len(data) + len(provenance) + len(system_quads), sorted(state.graphs),
                      len(records),
                      time.perf_counter() - clock, dry_run, report, inputs)


class _Stream:
    """The mapped quads handed to the store's staged commit (``store.stage``, streamed) while
    the mapping goes on, from when there are enough of them for one; a store that cannot
    stage gets nothing here and commits as before."""

    def __init__(self, store, drop_graphs: list[str], delete: list[ox.Quad]):
        self.store, self.drop_graphs, self.delete = store, drop_graphs, delete
        # a store without staged commits (remote, in memory, or told never to swap) is not fed
        self.open = getattr(store, "stage", None) is not None and getattr(store, "swap_min_quads", None) is not None
        self.held: list[bytes] = []
        self.count = 0
        self.staged = None

    def take(self, nquads: bytes, count: int) -> None:
        if self.staged is not None:
            self.staged.add_nquads(nquads, count)
            return
        if not self.open:
            return
        self.held.append(nquads)
        self.count += count
        self.staged = self.store.stage(drop_graphs=self.drop_graphs, delete=self.delete, streamed=self.count)
        if self.staged is not None:
            self.staged.add_nquads(b"".join(self.held), self.count)
            self.held = []
        elif self.count >= self.store.swap_min_quads:
            self.open, self.held = False, []  # big enough, yet not staged: this store cannot swap

    def finish(self, rest: list[ox.Quad], inserted: list[ox.Quad]):
        """The staged change with the quads not yet handed over added (None when it never
        started: the caller stages or applies the change whole)."""
        if self.staged is None:
            return None
        self.staged.add(rest)
        self.staged.close(inserted)
        return self.staged

    def abort(self) -> None:
        if self.staged is not None:
            self.staged.abort()
            self.staged = None


def _mark_restricted_inputs(inputs: list[Input], records, passthrough, index) -> list[Input]:
    """Inputs that hold restricted records only (RDF: quads in restricted graphs only) are
    described in the restricted provenance graph: a store that never held them must look the
    same to the public (issue #17, item 7). A record is restricted by its own access or by
    the testimony or source it is said in (as the mapper decides)."""
    def restricted(record) -> bool:
        v = record.values
        if v.get("access") == "restricted":
            return True
        said_in = [v.get(key) for key in ("according_to", "source", "id")]
        return any(ref in index and index[ref].restricted for ref in said_in if isinstance(ref, str))

    held: set[str] = set()  # inputs holding anything
    public: set[str] = set()  # inputs holding something public: decided, nothing more to check
    for record in records:
        held.add(record.file)
        if record.file not in public and not restricted(record):
            public.add(record.file)
    for display, quads in passthrough:
        if quads:
            held.add(display)
        if display not in public and not all(
                isinstance(q.graph_name, ox.NamedNode) and is_restricted(q.graph_name.value) for q in quads):
            public.add(display)
    return [dataclasses.replace(i, restricted=i.source in held and i.source not in public) for i in inputs]


# ---------------------------------------------------------------- reading

def _files(paths: list[Path]) -> list[tuple[Path, str]]:
    """Every entry of the folders given (and the files given), except hidden ones (names
    starting with '.': editor and system files). Nothing is skipped silently: whatever is not
    an input that can be read is an error in ``_read``."""
    out = []
    for path in paths:
        if path.is_dir():
            out += [(p, str(p)) for p in sorted(path.iterdir()) if not p.name.startswith(".")]
        else:
            out.append((path, str(path)))
    return out


def _is_input(path: Path) -> bool:
    return path.suffix.lower() in RECORD_SUFFIXES or path.suffix.lower() in rdfimport.FORMATS


def _read(paths, name, minter, errors, step, max_file_bytes: int = MAX_FILE_BYTES):
    records: list[Record] = []
    passthrough: list[tuple[str, list[ox.Quad]]] = []
    inputs: list[Input] = []
    for path, display in _files(paths):
        step(f"reading {path.name}")
        suffix = path.suffix.lower()
        if not _is_input(path):  # refused before anything is opened (a device, a FIFO …)
            errors.append(RecordError(display, None, None, None, "file",
                                      "not a record file (.csv, .json, .yaml) nor RDF (.ttl, .nt, .nq, .trig, .jsonld, "
                                      ".rdf, .owl): a dataset folder holds only its inputs"))
            continue
        data = read_input(path, display, errors, max_file_bytes)
        if data is None:
            continue
        if suffix == ".csv" and path.stem not in KINDS:
            errors.append(RecordError(display, None, None, None, "unknown-kind",
                                      f"a CSV file is named after its kind: one of {', '.join(KINDS)}"))
            continue
        inputs.append(Input(path.name, "sha256:" + hashlib.sha256(data).hexdigest(), source=display))
        if suffix == ".csv":
            records += read_csv(data, display, path.stem, errors)
        elif suffix == ".json":
            records += read_json(data, display, errors)
        elif suffix in (".yaml", ".yml"):
            records += read_yaml(data, display, errors)
        else:
            quads = rdfimport.read_rdf(data, display, minter, name, errors, suffix)
            rdfimport.check_targets(quads, display, minter, errors)
            passthrough.append((display, quads))
    return records, passthrough, inputs


# ---------------------------------------------------------------- references

def _resolve(store, records: list[Record], state: DatasetState, errors: list[RecordError], minter: Minter):
    """Index the batch's ids; look up in the store every other id referred to; refuse
    duplicates, dangling references, and public records pointing at restricted ones."""
    index: dict[str, Resolved] = {}
    by_id = {r.values["id"]: r for r in records if "id" in r.values}
    restricted_sources = {i for i, r in by_id.items() if r.kind == "sources" and r.values["access"] == "restricted"}
    for rid, record in by_id.items():
        restricted = record.values["access"] == "restricted"
        if record.kind == "testimonies":
            restricted = restricted or record.values.get("source") in restricted_sources
            iri = minter.testimony_graph(rid)
            index[rid] = Resolved(minter.restricted_twin(iri) if restricted else iri, record.kind, restricted)
        else:
            index[rid] = Resolved(minter.entity(rid), record.kind, restricted)
    referenced = {r.values[f] for r in records for f in REFERENCE_FIELDS[r.kind]
                  if isinstance(r.values.get(f), str)}
    referenced |= {v for r in records for f in REFERENCE_FIELDS[r.kind] if isinstance(r.values.get(f), list)
                   for v in r.values[f]}
    found = lookup_ids(store, sorted(set(by_id) | (referenced - set(by_id))), state)
    for rid, hits in found.items():
        if rid in by_id:
            record = by_id[rid]
            errors.append(record.error("id", "unique-id", f"id {rid!r} is already used in the store by <{hits[0][0]}>"))
        else:
            # restricted only when every graph that records it is restricted
            public = [subject for subject, graph in hits if not is_restricted(graph)]
            index[rid] = Resolved(public[0] if public else hits[0][0], None, not public)
    for record in records:
        _check_refs(record, index, errors)
    return index


def _check_refs(record: Record, index: dict[str, Resolved], errors: list[RecordError]) -> None:
    v = record.values
    public = v.get("access") == "public"
    if record.kind in ASSERTED_KINDS and "according_to" in v:
        who = index.get(v["according_to"])
        if who is None or who.kind not in ("testimonies", "sources"):
            errors.append(record.error("according_to", "according-to",
                                       f"{v['according_to']!r} is not a testimony or source of this dataset"))
            return
        public = public and not who.restricted
    for name in REFERENCE_FIELDS[record.kind]:
        if name == "according_to" or name not in v:
            continue
        for rid in v[name] if isinstance(v[name], list) else [v[name]]:
            target = index.get(rid)
            if target is None:
                errors.append(record.error(name, "reference", f"unknown id {rid!r}"))
            elif public and target.restricted:
                errors.append(record.error(name, "access", f"a public record may not refer to restricted {rid!r}"))


# ---------------------------------------------------------------- pass-through

def _check_passthrough_owners(store, passthrough, name, minter, errors) -> None:
    graphs = {q.graph_name.value: display for display, quads in passthrough for q in quads}
    for graph, owner in graph_owners(store, sorted(graphs), minter).items():
        if owner != name:
            errors.append(RecordError(graphs[graph], None, f"<{graph}>", None, "graph-owner",
                                      f"the graph belongs to dataset {owner!r}"))


def _register_passthrough(mapper: Mapper, quads: list[ox.Quad], display: str, minter: Minter) -> None:
    provenance = {minter.provenance_graph, minter.restricted_provenance_graph}
    origin = Record("rdf", {}, display)
    for q in quads:
        if q.graph_name.value in provenance:
            continue
        mapper.origins.setdefault(q.subject.value if isinstance(q.subject, ox.NamedNode) else "", origin)
        g = q.graph_name.value
        if g not in mapper.graphs:
            mapper.graphs[g] = GraphInfo(g, "import", g.endswith("/restricted"), origin)


def _passthrough_descriptions(mapper: Mapper, passthrough, minter: Minter) -> list[ox.Quad]:
    """Graphs a file describes itself keep their own type; the loader adds the rest."""
    provenance = {minter.provenance_graph, minter.restricted_provenance_graph}
    quads = [q for _display, qs in passthrough for q in qs if q.graph_name.value in provenance]
    typed = {q.subject.value for q in quads if q.predicate.value.endswith("#type")}
    for iri, info in mapper.graphs.items():
        if info.kind == "import" and iri in typed:
            info.kind = "described"
    return quads


# ---------------------------------------------------------------- SHACL → records

def _shacl_errors(report: ValidationReport, mapper: Mapper, dataset: str) -> list[RecordError]:
    errors = []
    seen = set()
    for r in report.violations:
        focus, path = r["focus"] or "", r["path"] or ""
        record = mapper.triple_origins.get((focus, path)) or mapper.origins.get(focus)
        if record is None and focus in mapper.graphs:
            record = mapper.graphs[focus].record
        local = re.split(r"[#/]", path)[-1] if path else None
        field_name = FIELD_OF.get(local, local) if local else None
        if record is not None and record.kind == "statements" and local == "wasDerivedFrom":
            field_name = "derived_from"  # a statement's prov:wasDerivedFrom (a graph's is its source)
        if record is not None and record.kind == "rdf":
            field_name = f"<{path}>" if path else None
        message = r["message"] + (f" (value: {r['value']})" if r.get("value") else "")
        rule = "shacl:" + r["component"].removesuffix("ConstraintComponent")
        if record is not None:
            error = record.error(field_name, rule, message)
            if record.kind == "rdf":
                error = RecordError(record.file, None, f"<{focus}>", field_name, rule, message)
        else:
            error = RecordError(f"dataset {dataset}", None, f"<{focus}>", field_name, rule, message)
        if str(error) not in seen:
            seen.add(str(error))
            errors.append(error)
    return errors
