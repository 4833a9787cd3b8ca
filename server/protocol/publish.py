"""``python -m justicegraph.server.protocol.publish STORE AUDIT_LOG GRAPH…``: publish a snapshot of
the on-disk store as it is now (``SnapshotStore.publish``), the audit records a killed write
left in the primary moved to AUDIT_LOG first (its audit graphs: GRAPH…).

``justicegraph serve`` runs it in a fresh process when the store changed since its last
snapshot (RocksDB is never opened in the gunicorn master: justicegraph/cli/serve.py). A
module of its own, so the process imports only the snapshot and audit modules — not the
command line, the app or rdflib — and starts publishing at once.
"""

from __future__ import annotations

import sys

from justicegraph.server.protocol.audit import AuditLog
from justicegraph.server.protocol.snapshot import SnapshotStore


def main(argv: list[str]) -> None:
    store, audit_log, *graphs = argv
    SnapshotStore(store, audit=AuditLog(audit_log, tuple(graphs))).publish()


if __name__ == "__main__":
    main(sys.argv[1:])
