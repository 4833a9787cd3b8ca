"""A SELECT answer put in order on the client, for an engine that refuses to sort it.

Virtuoso sorts in a temporary table whose rows hold at most ~4 KB of strings: an ORDER BY
over rows that carry a longer value — a GROUP_CONCAT of 200 speakers, saved query cq15 at 1M
triples — is refused ("SR319: Max row length is exceeded when trying to store a string of
… chars into a temp col", or with a longer value "SR478: Value of ANY type column too
long"), although the same query without its ORDER BY is answered. The
remote store then asks for that query and applies the ORDER BY here, with pyoxigraph, to the
answer's rows (a VALUES block and the query's own ORDER BY clause): the order SPARQL defines,
evaluated by the embedded engine.

Only where that is exact, else the engine's refusal stands: the ORDER BY is the query's last
clause (a LIMIT or OFFSET after it would cut the unsorted rows), its keys name only projected
variables (the only values the rows carry), and no row holds a blank node (VALUES cannot).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from justicegraph import sparqltext

# Virtuoso: a row of its sort's temporary table would pass ~4 KB (SR319), or a value in it is
# too long for its ANY-typed column (SR478, seen with a 10 KB GROUP_CONCAT)
SORT_REFUSED = ("SR319", "SR478")


@dataclass(frozen=True)
class Split:
    prologue: str  # PREFIX / BASE declarations
    unsorted: str  # the query without its ORDER BY clause
    order_by: str  # "ORDER BY …"
    keys: frozenset[str]  # the variables the ORDER BY names


def split(query: str) -> Split | None:
    """The query without its final ORDER BY, or None when the order cannot be applied to
    its answer alone."""
    found = sparqltext.shape(query)
    final = sparqltext.final_order_by(query, found)
    if final is None:
        return None
    form, start, keys = final
    return Split(query[:form], query[:start], query[start:], keys)


def order(results: ox.QuerySolutions, parts: Split) -> ox.QuerySolutions | None:
    """``results`` (an answer to ``parts.unsorted``) in the order of ``parts.order_by``, or
    None when that order cannot be computed from the rows alone."""
    names = [v.value for v in results.variables]
    if not parts.keys <= set(names):
        return None
    rows = [list(row) for row in results]
    if any(isinstance(term, ox.BlankNode) for row in rows for term in row):
        return None
    head = " ".join(f"?{n}" for n in names)
    values = "\n".join("(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows)
    text = f"{parts.prologue}SELECT {head} WHERE {{ VALUES ({head}) {{\n{values}\n}} }}\n{parts.order_by}"
    return ox.Store().query(text)
