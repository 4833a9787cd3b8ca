"""pyoxigraph's embedded store (``OxigraphStore``): a RocksDB directory, or memory."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from justicegraph.store import journal as store_journal
from justicegraph.store import swap as store_swap
from justicegraph.store.interface import change_as_update

# Inserting at least this many quads into an on-disk store commits by building the new
# state in a checkpoint (a bulk load in a child process) and swapping it in (justicegraph/store/swap.py):
# below it, one transaction (Store.extend / Update) is as fast and needs no copy.
SWAP_COMMIT_MIN_QUADS = 20_000


class OxigraphStore:
    """pyoxigraph's embedded store: a RocksDB directory, or memory when ``path`` is None."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False,
                 swap_min_quads: int | None = SWAP_COMMIT_MIN_QUADS):
        self.path = None if path is None else Path(path)
        self.read_only = read_only
        self.swap_min_quads = swap_min_quads  # None: never commit by swapping
        self._graphs: list[str] | None = None
        self._lock: store_swap.OpenLock | None = None
        self._can_swap: bool | None = None
        if self.path is None:
            self._store = ox.Store()
        elif read_only:
            if store_journal.pending(store_swap.state_dir(self.path)):
                raise OSError(f"the store {self.path} holds a write that a killed process did not finish; "
                              "open it read-write once (e.g. `justicegraph publish`) to complete it")
            self._store = ox.Store.read_only(str(self.path))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = store_swap.OpenLock(self.path)
            try:
                self._store = ox.Store(str(self.path))
                self._recover()
            except BaseException:
                self._store = None
                self._lock.release()
                raise

    @staticmethod
    def has_unfinished_write(path: str | Path) -> bool:
        """Whether a process was killed during a journaled write to the store at ``path``
        (its next read-write open completes it)."""
        return store_journal.pending(store_swap.state_dir(Path(path)))

    def _recover(self) -> None:
        """What a killed writer left (this process holds the open lock, so nobody else is
        writing): staging copies of big commits killed before their swap are deleted, and
        a journaled change is applied again, whole (justicegraph/store/journal.py)."""
        state = store_swap.state_dir(self.path)
        store_swap.remove_leftovers(state)
        for leftover in store_journal.leftovers(state):
            shutil.rmtree(leftover, ignore_errors=True)  # never renamed into place: nothing applied
        if store_journal.pending(state):
            store_journal.apply_steps(self._store, *store_journal.read(state))
            self._store.flush()
            store_journal.remove(state)

    @property
    def engine(self) -> ox.Store:
        """The pyoxigraph store itself, for bulk paths that need it (dump, bulk import)."""
        return self._store

    def query(self, query, *, default_graph=None, named_graphs=None, union=False, substitutions=None):
        kwargs: dict[str, Any] = {}
        if default_graph is not None:
            kwargs["default_graph"] = default_graph
        elif union:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = named_graphs
        if substitutions:
            kwargs["substitutions"] = dict(substitutions)
        return self._store.query(query, **kwargs)

    def update(self, update: str) -> None:
        self._refuse_if_read_only()
        self._store.update(update)

    def apply(self, *, drop_graphs=(), delete=(), insert=(), create_graphs=()) -> None:
        """One atomic change: drop graphs, delete quads, insert quads, then create (empty)
        graphs. Blank nodes keep their labels: a deleted one is the stored one."""
        self._refuse_if_read_only()
        drop_graphs, delete, create_graphs = list(drop_graphs), list(delete), list(create_graphs)
        insert = insert if isinstance(insert, list) else list(insert)
        staged = self.stage(drop_graphs=drop_graphs, delete=delete, insert=insert, create_graphs=create_graphs)
        if staged is not None:
            staged.commit()
            return
        self._apply_in_one_transaction(drop_graphs, delete, insert, create_graphs)

    def _apply_in_one_transaction(self, drop_graphs: list[str], delete: list[ox.Quad], insert: list[ox.Quad],
                                  create_graphs: list[str] = ()) -> None:
        if not drop_graphs and not delete and not create_graphs:
            # A pure insert: Store.extend is itself one transaction, keeps blank node labels
            # and skips building and parsing Update text (about 2.5x faster on large loads).
            self._store.extend(insert)
            return
        if store_journal.has_blank_nodes(delete) or store_journal.has_blank_nodes(insert):
            # Update text cannot carry them (DELETE DATA refuses blank nodes, INSERT DATA
            # relabels them): several calls, made atomic by a redo journal.
            self._apply_journaled(drop_graphs, delete, insert, list(create_graphs))
            return
        text = change_as_update(drop_graphs, delete, insert, create_graphs)
        if text:
            # pyoxigraph has no explicit transaction in Python; one Update request is one.
            self._store.update(text)

    def _apply_journaled(self, drop_graphs: list[str], delete: list[ox.Quad], insert: list[ox.Quad],
                         create_graphs: list[str]) -> None:
        if self.path is None:  # in memory: a killed process leaves nothing to recover
            store_journal.apply_steps(self._store, drop_graphs, delete, insert, create_graphs)
            return
        state = store_swap.state_dir(self.path)
        store_journal.write(state, drop_graphs, delete, insert, create_graphs)
        try:
            store_journal.apply_steps(self._store, drop_graphs, delete, insert, create_graphs)
        except Exception as exc:
            raise OSError(f"a write to {self.path} stopped half-way ({exc}); it is kept in its journal "
                          "and completed when the store is next opened read-write") from exc
        store_journal.remove(state)

    def stage(self, *, drop_graphs=(), delete=(), insert=(), create_graphs=(),
              streamed: int | None = None) -> store_swap.StagedChange | None:
        """Start building a big change in a checkpoint, in a child process (the caller can
        validate meanwhile, on the other core). ``commit()`` then swaps it in atomically,
        ``abort()`` discards it; nothing is visible before ``commit()``. None when the change
        is not big enough or cannot be swapped (then use ``apply``).

        With ``streamed`` (the number of quads the caller has ready to hand over, at least),
        the inserted quads come later, in parts (``StagedChange.add_nquads``, ``add``) and
        the caller ends them with ``close(every_inserted_quad)``."""
        self._refuse_if_read_only()
        insert = insert if isinstance(insert, list) else list(insert)
        if not self._swap_possible(len(insert) if streamed is None else streamed):
            return None
        staging = store_swap.staging_dir(self.path)
        self._store.flush()
        self._store.backup(str(staging))
        staged = store_swap.StagedChange(self, staging, list(drop_graphs), list(delete), list(create_graphs))
        try:
            staged.add(insert)
        except BaseException:
            staged.abort()
            raise
        if streamed is None:
            staged.close()
        return staged

    def _swap_possible(self, inserted: int) -> bool:
        if self.path is None or self.swap_min_quads is None or inserted < self.swap_min_quads:
            return False
        # Only when nobody else holds the engine: a live reference would keep the old
        # RocksDB open (its background work uses the path, which is about to move).
        if sys.getrefcount(self._store) > 2:
            return False
        if self._can_swap is None:
            self._can_swap = store_swap.can_exchange(self.path)
        return self._can_swap

    def _swap_in(self, staged: store_swap.StagedChange) -> None:
        """Called by StagedChange.commit once the copy is complete and closed."""
        swapped = False
        try:
            if sys.getrefcount(self._store) <= 2:
                self._store = None  # close the primary: its directory is about to move
                swapped = store_swap.exchange(staged.staging, self.path.resolve())
                self._can_swap = swapped
        finally:
            if self._store is None:
                self._store = ox.Store(str(self.path))
            shutil.rmtree(staged.staging, ignore_errors=True)  # the old state after a swap, else the copy
        if not swapped:  # the directories could not be swapped: commit the same change in one transaction
            self._apply_in_one_transaction(staged.drop_graphs, staged.delete, staged.insert, staged.create_graphs)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        if graph is None:
            return iter(self._store)
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))

    def graphs(self) -> list[str]:
        if self.read_only and self._graphs is not None:
            return self._graphs
        graphs = sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))
        if self.read_only:  # nobody writes a store opened read-only (snapshots): list once
            self._graphs = graphs
        return graphs

    def bulk_import(self, quads: Iterable[ox.Quad]) -> None:
        """Fast, non-transactional import for building a fresh store (benchmarks, dumps)."""
        self._refuse_if_read_only()
        self._store.bulk_extend(quads)

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()

    def optimize(self) -> None:
        """Compact the on-disk store (RocksDB: every level merged, deleted quads dropped).
        Reads of a store built by many transactions touch several levels of table files; after
        this, snapshots (hard links of these files) answer heavy queries ~30% faster
        (docs/performance.md)."""
        if self.path is not None and not self.read_only:
            self._store.optimize()

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        if self._store is None:
            return
        self.flush()
        self._store = None  # RocksDB closes when the object is collected
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise PermissionError("this store was opened read-only")
