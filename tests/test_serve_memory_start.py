"""serve_mode = memory on the real server (`justicegraph serve`): no window of 503s while the
in-memory copy loads (issue #18, item 5). Until the zygote holds its copy, the executors read
the snapshot on disk — the same answers, the same access rule, the same time limit; then they
are replaced by executors forked from the zygote, which share its copy.

The copy is held back by a test-only gate (JG_TEST_MEMORY_GATE: the zygote waits for the file
to exist before loading), so "before the copy is ready" is a state the test controls, not a
race it hopes to win."""

from __future__ import annotations

import os
import signal
import time
import urllib.parse
import urllib.request
from urllib.error import HTTPError

import pytest
from fixtures.restricted.harness import build_store, leaks
from servers import running_server

pytestmark = pytest.mark.embedded_only("memory mode loads embedded snapshots into memory")

READ = "memory-start-read-token-0001"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
EVERYTHING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
WORKERS, EXECUTORS = 2, 2


def ask(server, query: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Accept": "application/sparql-results+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = server.url + "/sparql?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def answers(server) -> dict:
    """The answers compared before and after the switch (rows as sorted JSON lines)."""
    import json

    found = {}
    for name, query, token in [("graphs", GRAPHS, None), ("graphs-token", GRAPHS, READ),
                               ("everything", EVERYTHING, None), ("count", COUNT, None),
                               ("count-token", COUNT, READ)]:
        status, body = ask(server, query, token)
        assert status == 200, (name, status, body[:300], server.log()[-3000:])
        rows = json.loads(body)["results"]["bindings"]
        found[name] = sorted(json.dumps(row, sort_keys=True) for row in rows)
    return found


def executors(server) -> tuple[list[int], list[int], list[int]]:
    """The server's zygotes, executors forked by them and executors reading from disk."""
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().split(b"\0")
        except OSError:
            continue
        if int(fields[3]) == server.process.pid and fields[0] != "Z" \
                and b"justicegraph.server.protocol.process" in command:  # fields[3]: the session
            processes[int(entry)] = (int(fields[1]), b"zygote" in command)  # ppid
    # A forked executor keeps its zygote's command line: the zygotes are those not forked by one.
    zygotes = [pid for pid, (parent, zygote) in processes.items() if zygote and not processes.get(parent, (0, 0))[1]]
    forked = [pid for pid, (parent, _) in processes.items() if parent in zygotes]
    disk = [pid for pid, (_, zygote) in processes.items() if not zygote]
    return sorted(zygotes), sorted(forked), sorted(disk)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("memory-start")
    store = build_store(root / "store")
    gate = root / "gate"
    env = {"JUSTICEGRAPH_SERVE_MODE": "memory", "JUSTICEGRAPH_READ_TOKEN": READ,
           "JUSTICEGRAPH_QUERY_TIMEOUT": "2", "JUSTICEGRAPH_EXECUTORS": str(EXECUTORS),
           "JUSTICEGRAPH_INLINE_LOOKUPS": "false",  # every query through an executor
           "JG_TEST_MEMORY_GATE": str(gate)}
    with running_server(store, env=env, workers=WORKERS, threads=2) as s:
        s.gate = gate
        yield s


def test_memory_mode_answers_from_disk_until_the_copy_is_ready_then_from_memory(server):
    # Right after the port opens: the copies are held back, yet every query is answered.
    before = answers(server)
    deadline = time.monotonic() + 60  # each worker starts its zygote as it starts
    while len(executors(server)[0]) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.05)
    zygotes, forked, disk = executors(server)
    assert len(zygotes) == WORKERS and forked == [], (zygotes, forked, disk)  # nothing in memory yet
    assert disk, "the queries were answered by executors reading the snapshot on disk"
    # The access rule holds from disk: anonymous callers see no restricted graph, token holders do.
    assert not any(leaks(row) for row in before["graphs"] + before["everything"] + before["count"])
    assert any(leaks(row) for row in before["graphs-token"]) and before["count"] != before["count-token"]
    # ...and the time limit: a runaway query is stopped (503) and the next one answered.
    assert ask(server, RUNAWAY)[0] == 503
    assert executors(server)[1] == []

    server.gate.touch()  # let the zygotes load their copies
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        zygotes, forked, disk = executors(server)
        if len(forked) == WORKERS * EXECUTORS and not disk:
            break
        time.sleep(0.1)
    assert len(forked) == WORKERS * EXECUTORS and not disk, (zygotes, forked, disk, server.log()[-3000:])

    # Every executor now queries a copy in memory: the same answers, the same rule and limit.
    assert answers(server) == before
    assert ask(server, RUNAWAY)[0] == 503
    assert answers(server) == before


def test_an_executor_that_crashes_is_reported_as_a_crash(tmp_path):
    """A forked executor is not the web worker's child: the zygote reaps it and tells how it
    ended, so an engine crash (a signal) is still told apart from other failures."""
    from justicegraph.server.protocol.process import EngineCrash, Zygote

    store = build_store(tmp_path / "store")
    zygote = Zygote()
    try:
        zygote.open([str(store)], 60)
        handle = zygote.fork([str(store)])
        try:
            assert handle.memory
            os.kill(handle.pid, signal.SIGSEGV)
            with pytest.raises(EngineCrash) as crash:
                handle.recv(time.monotonic() + 10)
            assert crash.value.signal_number == signal.SIGSEGV
        finally:
            handle.kill()
        other = zygote.fork([str(store)])
        other.kill()  # through its pidfd; returns once the process has ended
        assert zygote.exit_code(other.pid) == -signal.SIGKILL
    finally:
        zygote.close()
