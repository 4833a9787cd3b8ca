"""A small dataset, written for the page/API/search tests, in the shape the loaders produce
(BRIEF.md: curated graph, testimony graphs attributed to their speakers, a source narration,
the provenance graph, and a restricted testimony with its restricted provenance).

The people and statements are invented for the tests (names of public figures appear only as
labels to exercise spelling variants); nothing here is data about real testimony.
Import its fixtures with ``from test_pages_fixture import app, client, store  # noqa: F401``.
"""

from __future__ import annotations

import pytest

BASE = "https://w3id.org/justicegraph/"
READ_TOKEN = "read-secret-for-tests"

FIXTURE_TRIG = """
@prefix jg: <https://w3id.org/justicegraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix role: <https://w3id.org/justicegraph/vocab/role/> .
@prefix etype: <https://w3id.org/justicegraph/vocab/event-type/> .
@prefix charz: <https://w3id.org/justicegraph/vocab/characterisation/> .
@prefix access: <https://w3id.org/justicegraph/vocab/access/> .
@prefix edtf: <http://id.loc.gov/datatypes/edtf/> .
@prefix id: <https://w3id.org/justicegraph/id/> .
@prefix g: <https://w3id.org/justicegraph/graph/> .

g:curated\\/fixture {
  id:hamid-noury a jg:Person ; skos:prefLabel "Hamid Noury"@en ; rdfs:label "Hamid Noury"@en ;
    skos:altLabel "Hamid Nouri"@en, "Hamid Abbasi"@en, "حميد نوري"@fa ; jg:recordId "hamid-noury" ;
    rdfs:comment "Former prison official (test fixture)."@en .
  id:azadali-hajilouei a jg:Person ; skos:prefLabel "Azadali Hajilouei"@en ; rdfs:label "Azadali Hajilouei"@en ;
    skos:altLabel "Azadali Hajilooei"@en ; jg:recordId "azadali-hajilouei" .
  id:kamran-sample a jg:Person ; skos:prefLabel "Kamran Sample"@en ; rdfs:label "Kamran Sample"@en ;
    jg:recordId "kamran-sample" .
  id:shirin-example a jg:Person ; skos:prefLabel "Shirin Example"@en ; rdfs:label "Shirin Example"@en ;
    jg:recordId "shirin-example" .
  id:gohardasht-prison a jg:Prison ; skos:prefLabel "Gohardasht Prison"@en ; rdfs:label "Gohardasht Prison"@en ;
    skos:altLabel "Rajaei Shahr Prison"@en ; jg:recordId "gohardasht-prison" .
  id:ghezelhesar-prison a jg:Prison ; skos:prefLabel "Ghezelhesar Prison"@en ; rdfs:label "Ghezelhesar Prison"@en ;
    skos:altLabel "Ghezel Hesar Prison"@en ; jg:recordId "ghezelhesar-prison" .
  id:massacre-1988 a jg:Event ; skos:prefLabel "1988 mass executions"@en ; rdfs:label "1988 mass executions"@en ;
    jg:recordId "massacre-1988" .
  id:death-commission-gohardasht a jg:Event ; skos:prefLabel "Death commission at Gohardasht"@en ;
    rdfs:label "Death commission at Gohardasht"@en ; jg:recordId "death-commission-gohardasht" .
  id:detention-hajilouei a jg:Event ; skos:prefLabel "Detention of Azadali Hajilouei"@en ;
    rdfs:label "Detention of Azadali Hajilouei"@en ; jg:recordId "detention-hajilouei" .
  id:stockholm-court a jg:Court ; skos:prefLabel "Stockholm District Court"@en ;
    rdfs:label "Stockholm District Court"@en ; jg:recordId "stockholm-court" .
  id:report-2023 a jg:Source ; skos:prefLabel "Conference report (fixture)"@en ; dcterms:title "Conference report (fixture)"@en ;
    dcterms:date "2023-06-01"^^xsd:date ; jg:recordId "report-2023" .
}

g:testimony\\/kamran-sample-report-2023 {
  id:death-commission-gohardasht jg:eventType etype:hearing ; jg:partOf id:massacre-1988 ;
    jg:place id:gohardasht-prison ; jg:time "1988-07/1988-08"^^edtf:EDTF ;
    jg:earliest "1988-07-01"^^xsd:date ; jg:latest "1988-08-31"^^xsd:date .
  id:p-kamran-dc a jg:Participation ; jg:event id:death-commission-gohardasht ; jg:agent id:kamran-sample ;
    jg:role role:detainee ; jg:locator "¶41" .
  id:p-noury-dc a jg:Participation ; jg:event id:death-commission-gohardasht ; jg:agent id:hamid-noury ;
    jg:role role:alleged-perpetrator ; jg:locator "¶41" .
  id:s-kamran-accuses-noury a jg:Accusation ; jg:statedBy id:kamran-sample ; jg:about id:hamid-noury ;
    jg:accused id:hamid-noury ; jg:summary "Says the official read out the names of prisoners taken to the commission."@en ;
    jg:locator "¶41" .
}

g:testimony\\/shirin-example-report-2023 {
  id:detention-hajilouei jg:eventType etype:detention ; jg:place id:ghezelhesar-prison ;
    jg:time "1984/1988"^^edtf:EDTF ; jg:earliest "1984-01-01"^^xsd:date ; jg:latest "1988-12-31"^^xsd:date .
  id:p-hajilouei-det a jg:Participation ; jg:event id:detention-hajilouei ; jg:agent id:azadali-hajilouei ;
    jg:role role:detainee ; jg:locator "¶55" .
  id:s-shirin-saw-noury a jg:Observation ; jg:statedBy id:shirin-example ; jg:about id:hamid-noury ;
    jg:summary "Says she saw the official during her imprisonment."@en ; jg:locator "¶56" .
  id:s-shirin-genocide a jg:Characterisation ; jg:statedBy id:shirin-example ; jg:about id:massacre-1988 ;
    jg:characterisedAs charz:genocide ; jg:summary "Calls the killings a genocide."@en ; jg:locator "¶57" .
}

g:source\\/report-2023 {
  id:trial-noury a jg:Event ; skos:prefLabel "Trial of Hamid Noury"@en ; rdfs:label "Trial of Hamid Noury"@en ;
    jg:eventType etype:trial ; jg:place id:stockholm-court ; jg:time "2021-08/2022-07"^^edtf:EDTF ;
    jg:earliest "2021-08-01"^^xsd:date ; jg:latest "2022-07-31"^^xsd:date ; jg:recordId "trial-noury" .
  id:p-noury-trial a jg:Participation ; jg:event id:trial-noury ; jg:agent id:hamid-noury ;
    jg:role role:defendant ; jg:locator "¶12" .
}

g:testimony\\/secret-witness-report-2023\\/restricted {
  id:secret-witness a jg:Person ; skos:prefLabel "Hidden Witness Zarbaf"@en ; rdfs:label "Hidden Witness Zarbaf"@en ;
    jg:recordId "secret-witness" .
  id:s-secret-about-noury a jg:Observation ; jg:statedBy id:secret-witness ; jg:about id:hamid-noury ;
    jg:summary "A restricted statement: CONFIDENTIAL-MARKER."@en ; jg:locator "¶90" .
  id:hamid-noury skos:altLabel "Secret Spelling Nourzad"@en .
}

g:provenance {
  g:curated\\/fixture a jg:CuratedGraph, prov:Bundle ; jg:accessLevel access:public ; jg:dataset "fixture" .
  g:testimony\\/kamran-sample-report-2023 a jg:Testimony, prov:Bundle ; prov:wasAttributedTo id:kamran-sample ;
    prov:wasDerivedFrom id:report-2023 ; jg:locator "¶40–42" ; jg:accessLevel access:public ;
    prov:wasGeneratedBy <https://w3id.org/justicegraph/load/fixture-1> .
  g:testimony\\/shirin-example-report-2023 a jg:Testimony, prov:Bundle ; prov:wasAttributedTo id:shirin-example ;
    prov:wasDerivedFrom id:report-2023 ; jg:locator "¶55–57" ; jg:accessLevel access:public ;
    prov:wasGeneratedBy <https://w3id.org/justicegraph/load/fixture-1> .
  g:source\\/report-2023 a jg:SourceNarration, prov:Bundle ; prov:wasAttributedTo id:report-2023 ;
    prov:wasDerivedFrom id:report-2023 ; jg:accessLevel access:public .
  <https://w3id.org/justicegraph/load/fixture-1> a jg:Load, prov:Activity ;
    prov:startedAtTime "2026-01-01T00:00:00Z"^^xsd:dateTime ; prov:endedAtTime "2026-01-01T00:00:01Z"^^xsd:dateTime .
}

g:provenance\\/restricted {
  g:testimony\\/secret-witness-report-2023\\/restricted a jg:Testimony, prov:Bundle ;
    prov:wasAttributedTo id:secret-witness ; prov:wasDerivedFrom id:report-2023 ; jg:locator "¶90" ;
    jg:accessLevel access:restricted .
}
"""

SECRETS = ("Hidden Witness Zarbaf", "CONFIDENTIAL-MARKER", "Secret Spelling Nourzad", "secret-witness")


def fixture_store():
    from stores import load_rdf, new_store

    store = new_store()
    load_rdf(store, FIXTURE_TRIG)
    return store


@pytest.fixture
def store():
    return fixture_store()


@pytest.fixture
def app(store):
    from stores import settings

    from justicegraph.server.app import create_app


    return create_app(settings(read_token=READ_TOKEN), store=store)


@pytest.fixture
def client(app):
    return app.test_client()


AUTH = {"Authorization": f"Bearer {READ_TOKEN}"}
