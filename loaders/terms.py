"""pyoxigraph terms used by the mapping, built once (terms are immutable and hashable)."""

from __future__ import annotations

from functools import cache, lru_cache

import pyoxigraph as ox

from justicegraph.namespaces import EDTF_DATATYPE, JG

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ACCESS = "https://w3id.org/justicegraph/vocab/access/"

node = lru_cache(maxsize=200_000)(ox.NamedNode)


@cache
def jg(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(JG) + name)


A = node(RDF + "type")
PREF_LABEL, ALT_LABEL, SCOPE_NOTE = node(SKOS + "prefLabel"), node(SKOS + "altLabel"), node(SKOS + "scopeNote")
LABEL, COMMENT = node(RDFS + "label"), node(RDFS + "comment")
T_STRING, T_DATE, T_DATETIME = node(XSD + "string"), node(XSD + "date"), node(XSD + "dateTime")
T_INTEGER, T_BOOLEAN, T_EDTF = node(XSD + "integer"), node(XSD + "boolean"), node(str(EDTF_DATATYPE))
PUBLIC, RESTRICTED = node(ACCESS + "public"), node(ACCESS + "restricted")


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def text(value: str) -> ox.Literal:
    return ox.Literal(value)


def typed(value: str, datatype: ox.NamedNode) -> ox.Literal:
    return ox.Literal(value, datatype=datatype)


def boolean(value: bool) -> ox.Literal:
    return ox.Literal("true" if value else "false", datatype=T_BOOLEAN)


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=T_INTEGER)
