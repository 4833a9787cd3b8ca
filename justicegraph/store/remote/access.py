"""Access control on a remote engine when the dataset cannot be listed per query.

justicegraph's rule stays the only policy: a graph is restricted iff its IRI ends with
``/restricted`` (justicegraph/access.py). On small stores the remote store states every
query's dataset as a list of graphs. With thousands of graphs that list is refused (Virtuoso:
"Too many arguments" near 8,800 IRIs; ~3.6 s to compile 3,000) or slow, so on Virtuoso the
rule is *also* handed to the engine's graph-level security, kept in step by our own writes:

- the anonymous SPARQL user (``nobody``) may read no graph by default (new graphs are
  invisible until granted: fail closed); each **public** graph is granted read when a write
  creates it (``DB.DBA.JG_PUBLISH_GRAPH``, which refuses restricted and internal names);
- a read account (``justicegraph_reader``, through the digest-authenticated ``/sparql-auth``)
  reads every "world" graph — ours — but no *private* graph: Virtuoso's own system graphs and
  our staging graphs are put in ``virtrdf:PrivateGraphs`` (``DB.DBA.JG_PRIVATE_GRAPH``), so
  a half-written source is never visible to anyone but the writer;
- the writer (``justicegraph``) reads and writes everything and may execute the two procedures.

Queries then need no graph list: a caller who may not read restricted graphs is answered by
the anonymous endpoint (no dataset: the engine's union of what ``nobody`` may read), token
holders by the read account. Measured on Virtuoso 7.2 (tests/test_remote_access.py):
``GRAPH <…/restricted>``, ``FROM``, ``default-graph-uri``, ``define input:…`` naming a
restricted graph all answer nothing to ``nobody``. Graph groups (one IRI for a set of graphs)
were the other candidate: Virtuoso accepts them only as default graphs, never in FROM NAMED
("is graph group, not a plain graph"), so ``GRAPH ?g`` could not be restricted with them.
"""

from __future__ import annotations

from collections.abc import Iterable

from justicegraph.access import is_restricted

PRIVATE_GRAPHS = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
READER = "justicegraph_reader"
_BATCH = 500


def virtuoso_setup_sql(writer: str, reader: str, reader_password: str, default_graph: str,
                       staging_prefix: str, hidden: Iterable[str] = ()) -> str:
    """SQL (run once by dba on the engine) that installs the mechanism. ``hidden``: graphs the
    readers must never see (Virtuoso's own system graphs of a new database)."""
    hide = "".join(f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE_GRAPHS}', '{_sql(g)}');\n" for g in hidden)
    return f"""\
DB.DBA.USER_CREATE ('{reader}', '{_sql(reader_password)}');
GRANT SPARQL_SELECT TO "{reader}";
DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE_GRAPHS}', 1);
{hide}DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 0);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{reader}', 1, 0);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{reader}', 0, 1);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{writer}', 15, 0);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{writer}', 15, 1);
DB.DBA.RDF_GRAPH_USER_PERMS_SET ('{_sql(default_graph)}', 'nobody', 1);
create procedure DB.DBA.JG_PUBLISH_GRAPH (in g varchar) {{
  -- justicegraph's access rule (justicegraph/access.py), checked again here: never grant a
  -- restricted, staging or private graph to the anonymous user.
  if (g is null or g like '%/restricted' or g like '{staging_prefix}%' or g like 'urn:justicegraph:%'
      or exists (select 1 from DB.DBA.RDF_GRAPH_GROUP_MEMBER
                 where RGGM_GROUP_IID = iri_to_id ('{PRIVATE_GRAPHS}') and RGGM_MEMBER_IID = iri_to_id (g)))
    signal ('42000', sprintf ('JG001: not a public graph: %s', g));
  DB.DBA.RDF_GRAPH_USER_PERMS_SET (g, 'nobody', 1);
  return 1;
}};
create procedure DB.DBA.JG_PRIVATE_GRAPH (in g varchar, in private integer) {{
  -- only staging graphs are made private (hidden from readers) or public again
  if (g is null or g not like '{staging_prefix}%')
    signal ('42000', sprintf ('JG002: not a staging graph: %s', g));
  if (private)
    DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE_GRAPHS}', g);
  else
    DB.DBA.RDF_GRAPH_GROUP_DEL ('{PRIVATE_GRAPHS}', g);
  return 1;
}};
create procedure DB.DBA.JG_GRAPH_LIST () {{
  -- every graph holding triples, one IRI a line: SQL reads the graph index in a fraction of
  -- the time SPARQL's GROUP BY ?g takes over HTTP (measured 0.2 s vs 2.5 s at 9,000 graphs)
  declare ses any;
  ses := string_output ();
  for (select distinct G as g from DB.DBA.RDF_QUAD) do
    {{
      if (not exists (select 1 from DB.DBA.RDF_GRAPH_GROUP_MEMBER
                      where RGGM_GROUP_IID = iri_to_id ('{PRIVATE_GRAPHS}') and RGGM_MEMBER_IID = g))
        {{ http (id_to_iri (g), ses); http ('\n', ses); }}
    }}
  return string_output_string (ses);
}};
GRANT EXECUTE ON DB.DBA.JG_GRAPH_LIST TO "{writer}";
GRANT EXECUTE ON DB.DBA.JG_GRAPH_LIST TO "{reader}";
GRANT EXECUTE ON DB.DBA.JG_PUBLISH_GRAPH TO "{writer}";
GRANT EXECUTE ON DB.DBA.JG_PRIVATE_GRAPH TO "{writer}";
{_service_grants(("SPARQL", reader))}"""


def _service_grants(accounts: Iterable[str]) -> str:
    """Federated queries (SERVICE) for the accounts that answer reads: "SPARQL", the SQL
    account of the anonymous /sparql endpoint, and the reader. Without these Virtuoso fails
    every SERVICE ("SQ070: Must have select privileges on view DB.DBA.SPARQL_SINV_2"). Which
    endpoints a SERVICE may reach stays our server's decision (setting service_allowlist,
    checked before a query reaches the engine); the engine itself must not be exposed."""
    return "".join(f'grant select on "DB"."DBA"."SPARQL_SINV_2" to "{a}";\n'
                   f'grant execute on "DB"."DBA"."SPARQL_SINV_IMP" to "{a}";\n' for a in accounts)


def publish(store, graphs: Iterable[str]) -> None:
    """Let the anonymous user read these public graphs (before their content is swapped in,
    so a source appears whole). Restricted names are never sent."""
    names = sorted({g for g in graphs if not is_restricted(g) and not g.startswith("urn:justicegraph:")})
    _call(store, "JG_PUBLISH_GRAPH", names, "")


def set_private(store, graphs: Iterable[str], private: bool) -> None:
    _call(store, "JG_PRIVATE_GRAPH", sorted(set(graphs)), f", {int(private)}")


def _call(store, procedure: str, names: list[str], extra: str) -> None:
    from justicegraph.store.remote.base import literal

    for start in range(0, len(names), _BATCH):
        values = " ".join(literal(g) for g in names[start:start + _BATCH])
        query = (f"SELECT (COUNT(sql:{procedure}(?g{extra})) AS ?n) WHERE {{ VALUES ?g {{ {values} }} }}")
        store.writer_query(query)


def _sql(text: str) -> str:
    return text.replace("'", "''")
