"""The one reading of SPARQL text in justicegraph: everything that must know what a query or
update says before (or instead of) an engine reads it.

- ``lexer``: THE tokenizer (the SPARQL 1.1 terminals: IRIs, the four string quotings,
  comments ending at LF or CR, variables, prefixed names with PN_LOCAL escapes, blank nodes,
  numbers, language tags, keywords case-insensitively and ``a`` apart), the prologue
  (BASE / PREFIX) and IRI resolution, and a small cache of token lists.
- ``scan``: what the protocol needs — query form, FROM / FROM NAMED, every SERVICE and LOAD
  target (also where pyoxigraph's PEG parser reads a keyword glued to the next token), update
  operations and the graphs they write, where USING clauses go; ``with_using``, ``allowed``
  (the SERVICE allow-list), and, for a query, whether it is a bounded lookup (``bounded``) or
  else the patterns to probe (``probes``).
- ``bounded``: queries whose work is bounded by their answer (one triple pattern).
- ``probe``: queries of a few triple patterns with constants, whose work the counts of their
  patterns bound (``patterns`` reads them from the tokens, ``within`` counts them in a store).
- ``shape``: what the remote store needs — the WHERE group's offsets, FROM spans, binding by
  a VALUES block, the IRIs named, relative IRIs, a constant GRAPH, the top-level LIMIT, a
  final ORDER BY, the variables named.
- ``complexity``: how deeply a text nests and how long its chains are (refused past a limit
  before any engine's parser recurses into a stack overflow).
- ``parse``: pyoxigraph's syntax error for a text (parse only; never a text naming SERVICE
  or LOAD, which pyoxigraph would call as it reads it).

This package may import only the standard library and pyoxigraph (it is the bottom layer:
the store, the loaders, the server and the command line all read SPARQL through it).
"""

from __future__ import annotations

from justicegraph.sparqltext.bounded import is_bounded
from justicegraph.sparqltext.lexer import Token, tokenize
from justicegraph.sparqltext.parse import syntax_error
from justicegraph.sparqltext.scan import Scan, allowed, scan_query, scan_update, with_using, written_graphs
from justicegraph.sparqltext.shape import (
    Shape,
    bind,
    constant_graph,
    final_order_by,
    has_relative_iri,
    iris,
    limit,
    shape,
    values_block,
    variables,
    with_values,
    without_dataset_clauses,
)

__all__ = [
    "Scan", "Shape", "Token", "allowed", "bind", "constant_graph", "final_order_by", "has_relative_iri", "iris",
    "is_bounded", "limit", "scan_query", "scan_update", "shape", "syntax_error", "tokenize", "values_block",
    "variables", "with_using", "with_values", "without_dataset_clauses", "written_graphs",
]
