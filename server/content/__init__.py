"""What the pages and the API read from the graph: ``entity`` (what the visible graphs say
about one entity, grouped for a page), ``search`` (name search over every spelling) and
``ontology_doc`` (HTML documentation of the ontology and its vocabularies).

May import: the core of ``justicegraph`` (namespaces, resources, access); never another part
of the server.
"""
