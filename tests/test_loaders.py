"""Loading records: every kind of record becomes the RDF the README describes, with
provenance; re-loading is idempotent; restricted records stay in restricted graphs."""

import pyoxigraph as ox
import pytest
from loader_helpers import FIXTURES, copy_fixture, data_quads, edit_csv
from stores import new_store

from justicegraph.loaders import load
from justicegraph.namespaces import Minter

M = Minter()
JG = "https://w3id.org/justicegraph/ontology#"
PROV = "http://www.w3.org/ns/prov#"


PFX = (f"PREFIX jg: <{JG}> PREFIX prov: <{PROV}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
       f"PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> PREFIX id: <{M.entity('')}> "
       "PREFIX role: <https://w3id.org/justicegraph/vocab/role/> ")


def ask(store, text: str) -> bool:
    return bool(store.query(PFX + text))


def select(store, text: str) -> list:
    return list(store.query(PFX + text))


@pytest.fixture
def loaded(tmp_path):
    store = new_store()
    result = load(store, [copy_fixture(tmp_path)])
    return store, result


def test_every_kind_maps_to_its_graph(loaded):
    store, result = loaded
    assert result.dataset == "sample" and result.records == 32
    curated, testimony = M.curated_graph("sample"), M.testimony_graph("t-alpha")
    narration = M.source_graph("src-sample")
    # identity in the curated graph, with every spelling
    assert ask(store, f"""ASK {{ GRAPH <{curated}> {{ id:person-beta a jg:Person ; skos:prefLabel "Beta Example"@en ;
        skos:altLabel "Beta Exemple"@en, "B. Example"@en ; jg:recordId "person-beta" ; jg:locator "¶3" }} }}""")
    assert ask(store, f"ASK {{ GRAPH <{curated}> {{ id:prison-x a jg:Prison ; jg:locatedIn id:city-x . "
                      f"id:court-x a jg:Court ; jg:subOrganizationOf id:gov-x ; jg:basedIn id:city-x . "
                      f"id:community-x a jg:Collective . id:arrest-beta a jg:Event ; skos:prefLabel ?l }} }}")
    # event details and participations in the testimony graph
    assert ask(store, f"""ASK {{ GRAPH <{testimony}> {{ id:arrest-beta jg:eventType ?t ; jg:place id:prison-x ; jg:locator "¶3" .
        ?p a jg:Participation ; jg:event id:arrest-beta ; jg:agent id:person-beta ; jg:role role:detainee ; jg:locator "¶3" }} }}""")
    assert ask(store, f'ASK {{ GRAPH <{testimony}> {{ id:execution-gamma--person-gamma--victim jg:ageAtEvent 24 }} }}')
    assert ask(store, f"ASK {{ GRAPH <{testimony}> {{ id:person-beta jg:siblingOf id:person-gamma }} }}")
    # statements are the speaker's (testimony) or the source's own (narration)
    assert ask(store, f"""ASK {{ GRAPH <{testimony}> {{ id:s-alpha-genocide a jg:Characterisation ; jg:statedBy id:person-alpha ;
        jg:about id:massacre-x ; jg:characterisedAs <https://w3id.org/justicegraph/vocab/characterisation/genocide> }} }}""")
    assert ask(store, f"""ASK {{ GRAPH <{testimony}> {{ id:s-alpha-count jg:minimum 30000 ; jg:wording "over 30,000" .
        FILTER NOT EXISTS {{ id:s-alpha-count jg:maximum ?max }} }} }}""")
    assert ask(store, f"ASK {{ GRAPH <{testimony}> {{ id:s-alpha-call jg:addressee id:un-body, id:community-x ; jg:action ?a }} }}")
    assert ask(store, f"ASK {{ GRAPH <{narration}> {{ id:s-report-count jg:statedBy id:src-sample ; jg:minimum 3000 ; jg:maximum 5000 }} }}")
    assert ask(store, f"""ASK {{ GRAPH <{narration}> {{ id:official-delta--gov-x--1988-1989 a jg:Position ; jg:holder id:official-delta ;
        jg:organization id:gov-x ; jg:role role:office-holder ; jg:earliest "1988-01-01"^^xsd:date ; jg:latest "1989-12-31"^^xsd:date }} }}""")


def test_times_keep_their_precision(loaded):
    store, _ = loaded
    rows = {r["e"].value.rsplit("/", 1)[-1]: (r["t"].value, r["a"] and r["a"].value, r["b"] and r["b"].value)
            for r in store.query(f"SELECT ?e ?t ?a ?b WHERE {{ GRAPH ?g {{ ?e <{JG}time> ?t "
                                 f"OPTIONAL {{ ?e <{JG}earliest> ?a }} OPTIONAL {{ ?e <{JG}latest> ?b }} }} }}")}
    assert rows["massacre-x"] == ("1988-22", "1988-06-01", "1988-08-31")  # summer, no day invented
    assert rows["arrest-beta"] == ("1981", "1981-01-01", "1981-12-31")
    assert rows["transfer-beta"] == ("1986/..", "1986-01-01", None)  # open end stays open
    assert rows["execution-gamma"] == ("1988-07", "1988-07-01", "1988-07-31")
    assert ask(store, 'ASK { GRAPH ?g { id:transfer-beta jg:timeDerived true ; jg:timeNote "the year after the trial" ; jg:fromPlace id:prison-x } }')
    edtf = select(store, "SELECT ?t WHERE { GRAPH ?g { id:massacre-x jg:time ?t } }")[0]["t"]
    assert edtf.datatype.value == "http://id.loc.gov/datatypes/edtf/EDTF"


def test_provenance_of_graphs_and_load(loaded):
    store, result = loaded
    testimony, prov = M.testimony_graph("t-alpha"), M.provenance_graph
    assert ask(store, f"""ASK {{ GRAPH <{prov}> {{ <{testimony}> a jg:Testimony, prov:Bundle ; prov:wasAttributedTo id:person-alpha ;
        prov:wasDerivedFrom id:src-sample ; jg:locator "¶2–6" ; jg:accessLevel <https://w3id.org/justicegraph/vocab/access/public> ;
        jg:dataset "sample" ; prov:wasGeneratedBy <{result.load}> }} }}""")
    assert ask(store, f"""ASK {{ GRAPH <{prov}> {{ <{M.source_graph("src-sample")}> a jg:SourceNarration ; prov:wasAttributedTo id:src-sample .
        <{M.curated_graph("sample")}> a jg:CuratedGraph ; prov:wasGeneratedBy <{result.load}> }} }}""")
    rows = select(store, f"""SELECT ?start ?end ?version ?file ?sum WHERE {{ GRAPH <{prov}> {{
        <{result.load}> a jg:Load, prov:Activity ; prov:startedAtTime ?start ; prov:endedAtTime ?end ; jg:loaderVersion ?version ;
        prov:used ?in . ?in jg:inputFile ?file ; jg:checksum ?sum }} }}""")
    files = {r["file"].value: r["sum"].value for r in rows}
    assert set(files) == {p.name for p in (FIXTURES / "sample").iterdir()}
    assert all(s.startswith("sha256:") and len(s) == 71 for s in files.values())
    # compared as xsd:dateTime (the store writes them in canonical form, e.g. "10.1Z")
    assert ask(store, f"ASK {{ GRAPH <{prov}> {{ <{result.load}> prov:startedAtTime ?s ; prov:endedAtTime ?e }} FILTER(?s <= ?e) }}")
    # every data graph is described
    described = {r["g"].value for r in select(store, "SELECT ?g WHERE { GRAPH ?pg { ?g jg:dataset 'sample' } }")}
    assert set(result.graphs) <= described | {M.provenance_graph, M.restricted_provenance_graph}


def test_restricted_records_stay_in_restricted_graphs(loaded):
    store, _ = loaded
    hidden = M.restricted_twin(M.testimony_graph("t-hidden"))
    assert hidden in store.graphs() and M.testimony_graph("t-hidden") not in store.graphs()
    assert ask(store, f"ASK {{ GRAPH <{M.restricted_twin(M.curated_graph('sample'))}> {{ id:brother-of-beta a jg:Person }} }}")
    assert ask(store, f"ASK {{ GRAPH <{M.restricted_provenance_graph}> {{ <{hidden}> a jg:Testimony ; jg:accessLevel ?a }} }}")
    # nothing in a public graph names a restricted graph or a restricted record
    for q in store.quads():
        g = q.graph_name.value
        if g.endswith("/restricted") or g in (M.ontology_graph, M.vocabulary_graph):
            continue
        text = str(q)
        assert "/restricted>" not in text and "t-hidden" not in text and "brother-of-beta" not in text, text


def test_public_record_may_not_point_at_restricted_one(tmp_path):
    folder = copy_fixture(tmp_path)
    edit_csv(folder / "relations.csv", "person-beta,sibling,person-gamma", "person-beta,sibling,brother-of-beta")
    with pytest.raises(Exception) as info:
        load(new_store(), [folder])
    assert "relations.csv:2: field 'other': a public record may not refer to restricted 'brother-of-beta' (rule: access)" in str(info.value)


def test_reload_is_idempotent(tmp_path):
    store = new_store()
    folder = copy_fixture(tmp_path)
    first = load(store, [folder])
    count, quads = len(store), data_quads(store)
    second = load(store, [folder])
    assert len(store) == count and data_quads(store) == quads
    assert set(second.replaced) == set(first.graphs) - {M.provenance_graph, M.restricted_provenance_graph}
    loads = list(store.query(f"SELECT ?l WHERE {{ GRAPH ?g {{ ?l a <{JG}Load> }} }}"))
    assert [r["l"].value for r in loads] == [second.load]  # the old load's description is gone


def test_reload_drops_what_was_removed(tmp_path):
    store = new_store()
    folder = copy_fixture(tmp_path)
    load(store, [folder])
    assert ask(store, "ASK { GRAPH ?g { id:s-alpha-accuses ?p ?o } }")
    lines = (folder / "statements.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "statements.csv").write_text("".join(x for x in lines if not x.startswith("s-alpha-accuses")), encoding="utf-8")
    # and the restricted testimony with what it says
    edit_csv(folder / "testimonies.csv", "t-hidden,src-sample,person-beta,¶7–8,closed session,restricted\n", "")
    edit_csv(folder / "participations.csv", "execution-gamma,brother-of-beta,relative,t-hidden,¶8,,\n", "")
    load(store, [folder])
    assert not ask(store, "ASK { GRAPH ?g { id:s-alpha-accuses ?p ?o } }")
    assert M.restricted_twin(M.testimony_graph("t-hidden")) not in store.graphs()
    assert not ask(store, f"ASK {{ GRAPH <{M.restricted_provenance_graph}> {{ <{M.restricted_twin(M.testimony_graph('t-hidden'))}> ?p ?o }} }}")


def test_second_dataset_refers_to_first(tmp_path):
    store = new_store()
    load(store, [copy_fixture(tmp_path)])
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "sources.csv").write_text("id,title\nsrc-extra,Another fictional report\n", encoding="utf-8")
    (extra / "events.csv").write_text("id,label,type,according_to,locator,time,place\n"
                                      "release-beta,Release of Beta Example,release,src-extra,¶2,1991,prison-x\n", encoding="utf-8")
    (extra / "participations.csv").write_text("event,agent,role,according_to,locator\n"
                                              "release-beta,person-beta,detainee,src-extra,¶2\n", encoding="utf-8")
    result = load(store, [extra])
    assert result.dataset == "extra"
    assert ask(store, f"ASK {{ GRAPH <{M.source_graph('src-extra')}> {{ id:release-beta jg:place id:prison-x }} }}")
    # re-loading the first dataset leaves the second alone
    load(store, [tmp_path / "sample"])
    assert ask(store, "ASK { GRAPH ?g { id:release-beta--person-beta--detainee jg:agent id:person-beta } }")


def test_nested_yaml_and_json_inherit_according_to(tmp_path):
    store = new_store()
    result = load(store, [copy_fixture(tmp_path, "nested")])
    t = M.testimony_graph("t-nested")
    # the participation nested in the event nested in the testimony
    assert ask(store, f"""ASK {{ GRAPH <{t}> {{ id:nested-arrest-1984--speaker-n--detainee jg:event id:nested-arrest-1984 ;
        jg:agent id:speaker-n ; jg:locator "¶99" }} }}""")
    assert ask(store, f'ASK {{ GRAPH <{t}> {{ id:s-nested-observation a jg:Observation ; jg:statedBy id:speaker-n ; jg:locator "¶97–100" }} }}')
    assert ask(store, f"ASK {{ GRAPH <{M.provenance_graph}> {{ <{t}> prov:wasDerivedFrom id:report-nested }} }}")
    # the JSON file of the same dataset points into the YAML's testimony
    assert ask(store, f'ASK {{ GRAPH <{t}> {{ id:nested-detention--speaker-n--detainee jg:ageAtEvent 19 ; jg:locator "¶100" }} }}')
    assert ask(store, 'ASK { GRAPH ?g { id:speaker-n skos:altLabel "Spieker N"@en } }')
    assert result.records == 9


def test_ontology_and_vocabulary_are_loaded(loaded):
    store, _ = loaded
    assert ask(store, f"ASK {{ GRAPH <{M.ontology_graph}> {{ jg:Person a <http://www.w3.org/2002/07/owl#Class> }} }}")
    assert ask(store, f'ASK {{ GRAPH <{M.vocabulary_graph}> {{ role:victim skos:prefLabel "victim"@en }} }}')


def test_progress_is_reported(tmp_path):
    stages = []
    load(new_store(), [copy_fixture(tmp_path)], progress=stages.append)
    assert "reading people.csv" in stages and "validating (SHACL)" in stages and "committing" in stages


def test_dry_run_writes_nothing(tmp_path):
    store = new_store()
    result = load(store, [copy_fixture(tmp_path)], dry_run=True)
    assert len(store) == 0 and result.report.conforms


def test_quads_are_built_without_blank_nodes(loaded):
    store, _ = loaded
    for q in store.quads():
        if q.graph_name.value in (M.ontology_graph,):
            continue
        assert not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode), q


def test_another_base(tmp_path):
    minter = Minter("http://example.org/jg/")
    store = new_store()
    result = load(store, [copy_fixture(tmp_path)], minter=minter)
    assert minter.testimony_graph("t-alpha") in store.graphs()
    assert not any("w3id.org/justicegraph/id/" in str(q) or "w3id.org/justicegraph/graph/" in str(q) for q in store.quads())
    assert result.load.startswith("http://example.org/jg/load/")


def test_the_nested_example_of_records_md_loads(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "records.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    folder = tmp_path / "example"
    folder.mkdir()
    (folder / "example.yaml").write_text(example, encoding="utf-8")
    store = new_store()
    result = load(store, [folder])
    assert result.records == 5  # source, testimony, event, participation, person
    assert ask(store, "ASK { GRAPH ?g { id:hajilouei-arrest-1984--azadali-hajilouei--detainee jg:event id:hajilouei-arrest-1984 } }")


def test_every_csv_example_of_records_md_has_known_columns():
    import csv
    import io
    import re
    from pathlib import Path

    from justicegraph.loaders.kinds import KINDS

    text = (Path(__file__).resolve().parent.parent / "docs" / "records.md").read_text(encoding="utf-8")
    sections = re.split(r"^### (\w+)", text, flags=re.M)[1:]
    checked = set()
    for kind, body in zip(sections[::2], sections[1::2], strict=True):
        for block in re.findall(r"```csv\n(.*?)```", body, flags=re.S):
            header, *rows = list(csv.reader(io.StringIO(block)))
            assert set(header) <= set(KINDS[kind]), (kind, set(header) - set(KINDS[kind]))
            required = {n for n, f in KINDS[kind].items() if f.required and not (n == "id" and kind in ("participations", "positions"))}
            assert required <= set(header), (kind, required - set(header))
            assert rows and all(len(r) == len(header) for r in rows)
            checked.add(kind)
    assert checked == set(KINDS)
