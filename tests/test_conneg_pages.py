"""Dereferenceable IRIs: every representation is parsed with rdflib and checked for triples."""

from __future__ import annotations

import gzip

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, SKOS
from test_pages_fixture import AUTH, BASE, SECRETS, app, client, store  # noqa: F401

ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
JG = Namespace("https://w3id.org/justicegraph/ontology#")
NOURY = ID["hamid-noury"]

TRIPLE_FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}
QUAD_FORMATS = {"application/trig": "trig", "application/n-quads": "nquads", "application/ld+json": "json-ld"}
SUFFIX = {"text/turtle": ".ttl", "application/n-triples": ".nt", "application/rdf+xml": ".rdf",
          "application/trig": ".trig", "application/n-quads": ".nq", "application/ld+json": ".jsonld"}


def parse_triples(response, fmt) -> Graph:
    return Graph().parse(data=response.get_data(), format=fmt, publicID=BASE)


def parse_quads(response, fmt) -> Dataset:
    ds = Dataset()
    ds.parse(data=response.get_data(), format=fmt, publicID=BASE)
    return ds


@pytest.mark.parametrize("media_type, fmt", TRIPLE_FORMATS.items())
def test_entity_as_triples_with_provenance(client, media_type, fmt):  # noqa: F811
    response = client.get("/id/hamid-noury", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    g = parse_triples(response, fmt)
    assert (NOURY, RDF.type, JG.Person) in g
    assert (NOURY, SKOS.prefLabel, Literal("Hamid Noury", lang="en")) in g
    assert (NOURY, SKOS.altLabel, Literal("Hamid Nouri", lang="en")) in g
    # incoming links and the n-ary statements that make them
    accusation = ID["s-kamran-accuses-noury"]
    assert (accusation, JG.accused, NOURY) in g
    assert (accusation, JG.statedBy, ID["kamran-sample"]) in g
    assert (ID["p-noury-dc"], JG.event, ID["death-commission-gohardasht"]) in g
    # provenance of the graphs the triples come from
    testimony = GRAPH["testimony/kamran-sample-report-2023"]
    assert (testimony, PROV.wasAttributedTo, ID["kamran-sample"]) in g
    assert (testimony, PROV.wasDerivedFrom, ID["report-2023"]) in g
    assert not any(secret in str(term) for t in g for term in t for secret in SECRETS)


@pytest.mark.parametrize("media_type, fmt", QUAD_FORMATS.items())
def test_entity_as_quads_keeps_the_asserting_graph(client, media_type, fmt):  # noqa: F811
    response = client.get("/id/hamid-noury", headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    ds = parse_quads(response, fmt)
    testimony = ds.graph(GRAPH["testimony/kamran-sample-report-2023"])
    assert (ID["s-kamran-accuses-noury"], JG.accused, NOURY) in testimony
    curated = ds.graph(GRAPH["curated/fixture"])
    assert (NOURY, SKOS.prefLabel, Literal("Hamid Noury", lang="en")) in curated
    provenance = ds.graph(GRAPH["provenance"])
    assert (GRAPH["testimony/kamran-sample-report-2023"], PROV.wasAttributedTo, ID["kamran-sample"]) in provenance
    assert GRAPH["testimony/secret-witness-report-2023/restricted"] not in {c.identifier for c in ds.graphs()}


@pytest.mark.parametrize("media_type", list(SUFFIX))
def test_suffix_overrides_accept(client, media_type):  # noqa: F811
    response = client.get("/id/hamid-noury" + SUFFIX[media_type], headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == media_type
    fmt = {**TRIPLE_FORMATS, **QUAD_FORMATS}[media_type]
    parsed = parse_triples(response, fmt) if media_type in TRIPLE_FORMATS else parse_quads(response, fmt)
    assert (NOURY, RDF.type, JG.Person) in set(parsed.triples((None, None, None))) | \
        {(s, p, o) for s, p, o, _ in getattr(parsed, "quads", lambda _: [])((None, None, None, None))}


@pytest.mark.parametrize("accept, expected", [
    ("text/html", "text/html"),
    ("text/turtle;q=0.9, application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.8, */*;q=0.1", "text/turtle"),
    ("text/*;q=0.5, text/html;q=0.1", "text/turtle"),
    ("application/json", "application/json"),
    ("text/html;q=0, */*", "application/json"),
    ("*/*", "text/html"),
])
def test_q_values_choose_the_representation(client, accept, expected):  # noqa: F811
    response = client.get("/id/hamid-noury", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == expected


def test_406_when_nothing_fits(client):  # noqa: F811
    for accept in ("image/png", "text/turtle;q=0, text/html;q=0, application/*;q=0"):
        response = client.get("/id/hamid-noury", headers={"Accept": accept})
        assert response.status_code == 406
        assert "text/turtle" in response.get_json()["error"]["detail"]["offered"]


def test_unknown_and_restricted_entities_are_404_without_token(client):  # noqa: F811
    assert client.get("/id/no-such-person").status_code == 404
    assert client.get("/id/no-such-person.ttl").status_code == 404
    assert client.get("/id/secret-witness").status_code == 404
    assert client.get("/id/secret-witness.ttl").status_code == 404
    assert client.get("/id/%20bad%3Ciri").status_code == 404
    with_token = client.get("/id/secret-witness.ttl", headers=AUTH)
    assert with_token.status_code == 200
    assert (ID["secret-witness"], SKOS.prefLabel, Literal("Hidden Witness Zarbaf", lang="en")) in \
        parse_triples(with_token, "turtle")


def test_restricted_statements_join_the_description_only_with_the_token(client):  # noqa: F811
    anonymous = parse_quads(client.get("/id/hamid-noury.nq"), "nquads")
    opened = parse_quads(client.get("/id/hamid-noury.nq", headers=AUTH), "nquads")
    secret = ID["s-secret-about-noury"]
    assert (secret, JG.about, NOURY) not in set(anonymous.triples((None, None, None, None)) if False else
                                                 ((s, p, o) for s, p, o, _ in anonymous.quads()))
    assert (secret, JG.about, NOURY) in {(s, p, o) for s, p, o, _ in opened.quads()}


def test_graph_iri_dereferences_to_its_provenance(client):  # noqa: F811
    iri = GRAPH["testimony/kamran-sample-report-2023"]
    g = parse_triples(client.get("/graph/testimony/kamran-sample-report-2023", headers={"Accept": "text/turtle"}),
                      "turtle")
    assert (iri, RDF.type, JG.Testimony) in g
    assert (iri, PROV.wasAttributedTo, ID["kamran-sample"]) in g
    html = client.get("/graph/testimony/kamran-sample-report-2023").get_data(as_text=True)
    assert "Kamran Sample" in html and "Conference report (fixture)" in html
    data = client.get("/graph/testimony/kamran-sample-report-2023.json").get_json()
    assert data["triples"] == 22 and data["attribution"]["speaker"]["label"] == "Kamran Sample"
    assert client.get("/graph/testimony/secret-witness-report-2023/restricted").status_code == 404
    assert client.get("/graph/testimony/secret-witness-report-2023/restricted.ttl", headers=AUTH).status_code == 200
    assert client.get("/graph/nothing-here").status_code == 404


def test_iris_resolve_under_any_base(store):  # noqa: F811
    """Served on localhost with a local base, the same path scheme resolves the IRIs."""
    import pyoxigraph as ox

    from justicegraph.server.app import create_app


    local = "http://127.0.0.1:5000/"

    def move(term):
        if isinstance(term, ox.NamedNode) and term.value.startswith((BASE + "id/", BASE + "graph/")):
            return ox.NamedNode(local + term.value[len(BASE):])
        return term

    moved = [ox.Quad(move(q.subject), move(q.predicate), move(q.object), move(q.graph_name))
             for q in store.quads()]
    from stores import new_store, settings

    relocated = new_store()
    relocated.bulk_import(moved)
    client = create_app(settings(base=local), store=relocated).test_client()  # noqa: F811
    g = parse_triples(client.get("/id/hamid-noury.ttl"), "turtle")
    assert (URIRef(local + "id/hamid-noury"), RDF.type, JG.Person) in g
    assert 'href="/id/kamran-sample"' in client.get("/id/hamid-noury").get_data(as_text=True)


@pytest.mark.parametrize("suffix, accept, fmt", [
    ("", "text/turtle", "turtle"), ("", "application/rdf+xml", "xml"), (".ttl", None, "turtle"),
    (".rdf", None, "xml"), (".owl", None, "xml"), (".nt", None, "nt"), (".jsonld", None, "json-ld"),
])
def test_ontology_by_content_negotiation(client, suffix, accept, fmt):  # noqa: F811
    response = client.get("/ontology" + suffix, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    g = Graph().parse(data=response.get_data(), format=fmt)
    from rdflib.namespace import OWL

    assert (URIRef("https://w3id.org/justicegraph/ontology"), RDF.type, OWL.Ontology) in g
    assert (JG.Participation, RDF.type, OWL.Class) in g


def test_ontology_rdfxml_loads_in_owlready2(client, tmp_path):  # noqa: F811
    owlready2 = pytest.importorskip("owlready2")
    path = tmp_path / "jg.owl"
    path.write_bytes(client.get("/ontology.rdf").get_data())
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    assert onto.search_one(iri=str(JG.Person)) is not None
    assert onto.search_one(iri=str(JG.statedBy)) is not None


def test_dump_is_gzipped_nquads_of_visible_graphs(client):  # noqa: F811
    response = client.get("/dump")
    assert response.status_code == 200 and response.mimetype == "application/gzip"
    ds = Dataset()
    ds.parse(data=gzip.decompress(response.get_data()), format="nquads")
    names = {str(c.identifier) for c in ds.graphs()}
    assert str(GRAPH["testimony/kamran-sample-report-2023"]) in names
    assert not any(n.endswith("/restricted") for n in names)
    assert (NOURY, SKOS.prefLabel, Literal("Hamid Noury", lang="en")) in {(s, p, o) for s, p, o, _ in ds.quads()}
    text = gzip.decompress(response.get_data()).decode()
    assert not any(secret in text for secret in SECRETS)
    full = gzip.decompress(client.get("/dump.nq.gz", headers=AUTH).get_data()).decode()
    assert "Hidden Witness Zarbaf" in full


# -- content negotiation by RFC 9110 -------------------------------------------------------------

@pytest.mark.parametrize("accept, expected", [
    ("text/turtle; charset=utf-8", "text/turtle"),
    ("text/turtle;charset=UTF-8;q=0.9, text/html;q=0.5", "text/turtle"),
    ('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"', "application/ld+json"),
    # a quoted parameter value may hold commas and semicolons
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#flattened http://x/a,b;c", text/html;q=0.2',
     "application/ld+json"),
    ("application/n-triples; charset=utf-8; q=0.8, application/rdf+xml; q=0.7", "application/n-triples"),
    # the most specific range decides: with parameters beats without, which beats type/*
    ("text/turtle;q=0.2, text/turtle;charset=utf-8;q=0.9, application/rdf+xml;q=0.5", "text/turtle"),
    ("text/turtle;charset=utf-8;q=0, text/turtle, application/rdf+xml;q=0.5", "application/rdf+xml"),
    ("text/*;q=0.9, text/turtle;q=0.1", "text/html"),
])
def test_parameters_and_q_values(client, accept, expected):  # noqa: F811
    response = client.get("/id/hamid-noury", headers={"Accept": accept})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == expected


def test_what_clients_with_no_or_any_accept_get(client):  # noqa: F811
    """Data IRIs: HTML (the page). Ontology and vocabulary IRIs: RDF/XML, as W3C
    vocabularies answer and what every OWL tool reads; a browser still gets HTML."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "*"}, {"Accept": ""}):
        assert client.get("/id/hamid-noury", headers=headers).mimetype == "text/html"
        assert client.get("/ontology", headers=headers).mimetype == "application/rdf+xml"
        assert client.get("/vocab/role/detainee", headers=headers).mimetype == "application/rdf+xml"
    assert client.get("/id/hamid-noury", headers={"Accept": browser}).mimetype == "text/html"
    assert client.get("/ontology", headers={"Accept": browser}).mimetype == "text/html"
    doc = client.get("/vocab/role/detainee", headers={"Accept": browser})
    assert doc.status_code == 303 and doc.headers["Location"].endswith("/ontology#vocab-role-detainee")


@pytest.mark.parametrize("accept, expected", [
    ("text/plain, */*;q=0.1", "application/n-triples"),  # rdflib's Accept for format="nt"
    ("application/x-turtle", "text/turtle"),
    ("application/json", "application/json"),  # the page's JSON twin, not JSON-LD
])
def test_older_names_of_rdf_media_types(client, accept, expected):  # noqa: F811
    assert client.get("/id/hamid-noury", headers={"Accept": accept}).mimetype == expected


@pytest.mark.parametrize("accept", ["text/turtle;q=2", "text/turtle;q=abc, application/rdf+xml;q=0"])
def test_a_malformed_weight_refuses_rather_than_welcomes(client, accept):  # noqa: F811
    response = client.get("/id/hamid-noury", headers={"Accept": accept})
    assert response.status_code == 406


def test_accept_parsing_keeps_quoted_separators_inside_parameters():
    from justicegraph.server.web import conneg

    ranges = conneg.parse_accept('a/b;p="x,y;z";q=0.5, c/d;q=0.25, */*;q=0')
    assert [(r.main, r.sub, r.q, r.params) for r in ranges] == [("a", "b", 0.5, 1), ("c", "d", 0.25, 0),
                                                                ("*", "*", 0.0, 0)]
    assert conneg.best_match("c/d;q=0.3, a/*;q=0.3", ("a/b", "c/d")) == "c/d"  # full type beats type/*
    assert conneg.best_match(None, ("a/b", "c/d")) == "a/b"


# -- JSON-LD with a context ----------------------------------------------------------------------

def test_json_ld_default_graph_holds_what_the_turtle_holds(client):  # noqa: F811
    from rdflib.compare import isomorphic

    turtle = parse_triples(client.get("/id/hamid-noury.ttl"), "turtle")
    response = client.get("/id/hamid-noury.jsonld")
    doc = response.get_json(force=True)
    assert doc["@context"] == client.get("/context.jsonld").get_json(force=True)["@context"]
    as_graph = Graph().parse(data=response.get_data(), format="json-ld", publicID=BASE)
    assert isomorphic(as_graph, turtle)
    assert (NOURY, RDF.type, JG.Person) in as_graph


def test_context_names_the_prefixes_of_this_servers_base(client):  # noqa: F811
    response = client.get("/context.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    context = response.get_json(force=True)["@context"]
    assert context["id"] == BASE + "id/" and context["graph"] == BASE + "graph/"
    assert context["jg"] == str(JG) and context["role"] == BASE + "vocab/role/"


def test_sparql_construct_as_json_ld_is_compacted(client):  # noqa: F811
    response = client.get("/sparql", query_string={"query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
                                                            f"FILTER(?s = <{NOURY}>) }}"},
                          headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    doc = response.get_json(force=True)
    assert doc["@context"]["skos"] == str(SKOS)
    g = Graph().parse(data=response.get_data(), format="json-ld")
    assert (NOURY, SKOS.prefLabel, Literal("Hamid Noury", lang="en")) in g


# -- vocabularies, activities, system graphs -----------------------------------------------------

def test_vocabulary_terms_and_schemes_resolve(client):  # noqa: F811
    from rdflib import URIRef as U

    detainee = U(BASE + "vocab/role/detainee")
    g = parse_triples(client.get("/vocab/role/detainee", headers={"Accept": "text/turtle"}), "turtle")
    assert (detainee, SKOS.prefLabel, Literal("detainee", lang="en")) in g
    scheme = parse_triples(client.get("/vocab/role.ttl"), "turtle")
    assert (detainee, SKOS.inScheme, U(BASE + "vocab/role")) in scheme
    assert len(parse_triples(client.get("/vocab/", headers={"Accept": "text/turtle"}), "turtle")) > len(scheme)
    assert client.get("/vocab/role/no-such-role", headers={"Accept": "text/turtle"}).status_code == 404


def test_activities_and_system_graphs_resolve(store):  # noqa: F811
    import pyoxigraph as ox
    from stores import settings

    from justicegraph.server.app import create_app

    provenance = ox.NamedNode(BASE + "graph/provenance")
    run, write = ox.NamedNode(BASE + "reasoning/0f3a"), ox.NamedNode(BASE + "write/6a1d-77")
    store.bulk_import([ox.Quad(run, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(JG.Reasoning)), provenance),
                       ox.Quad(write, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PROV.Activity)), provenance),
                       ox.Quad(ox.NamedNode(NOURY), ox.NamedNode(str(RDF.type)), ox.NamedNode(str(JG.Agent)),
                               ox.NamedNode(BASE + "graph/inferred"))])
    client = create_app(settings(), store=store).test_client()  # noqa: F811
    assert (URIRef(run.value), RDF.type, JG.Reasoning) in parse_triples(client.get("/reasoning/0f3a.ttl"), "turtle")
    assert (URIRef(write.value), RDF.type, PROV.Activity) in parse_triples(client.get("/write/6a1d-77.ttl"), "turtle")
    assert client.get("/write/6a1d-77", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/reasoning/nothing.ttl").status_code == 404
    inferred = parse_triples(client.get("/graph/inferred.ttl"), "turtle")
    assert (URIRef(BASE + "graph/inferred"), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None) in inferred


# -- CORS on every read route ---------------------------------------------------------------------

READ_ROUTES = ["/id/hamid-noury.ttl", "/id/hamid-noury", "/graph/testimony/kamran-sample-report-2023.ttl",
               "/ontology", "/vocab/role/victim", "/context.jsonld", "/.well-known/void", "/dump",
               "/api/search?q=noury", "/index.json", "/sparql?query=ASK%7B%7D"]


@pytest.mark.parametrize("path", READ_ROUTES)
def test_every_read_route_may_be_read_from_another_origin(client, path):  # noqa: F811
    for headers in ({"Origin": "https://researcher.example"}, {}):
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.get_data(), path
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_for_listed_origins_and_never_on_writes(store):  # noqa: F811
    from stores import settings

    from justicegraph.server.app import create_app

    client = create_app(settings(cors_origins="https://app.example", write_token="w" * 20),  # noqa: F811
                        store=store).test_client()
    ok = client.get("/id/hamid-noury.ttl", headers={"Origin": "https://app.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert ok.headers["Access-Control-Allow-Credentials"] == "true" and "Origin" in ok.headers["Vary"]
    other = client.get("/id/hamid-noury.ttl", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers and "Origin" in other.headers["Vary"]
    preflight = client.options("/id/hamid-noury", headers={"Origin": "https://app.example",
                                                           "Access-Control-Request-Method": "GET",
                                                           "Access-Control-Request-Headers": "authorization"})
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    write = client.put("/graphs?graph=https://example.org/g", data="<http://x/s> <http://x/p> <http://x/o> .",
                       headers={"Origin": "https://app.example", "Content-Type": "application/n-triples"})
    assert "Access-Control-Allow-Origin" not in write.headers


# -- the data's licence ---------------------------------------------------------------------------

def test_the_data_licence_is_declared_in_void_on_data_answers_and_on_pages(client):  # noqa: F811
    from rdflib.namespace import DCTERMS

    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")
    void = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).get_data(),
                         format="turtle")
    dataset = next(void.subjects(RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")))
    assert (dataset, DCTERMS.license, licence) in void
    assert void.value(dataset, DCTERMS.creator) is not None and void.value(dataset, DCTERMS.modified) is not None
    for path in ("/dump", "/id/hamid-noury.ttl", "/graph/testimony/kamran-sample-report-2023.ttl"):
        response = client.get(path)
        assert response.get_data() and f'<{licence}>; rel="license"' in response.headers["Link"], path
    home = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'rel="license" href="{licence}"' in home
