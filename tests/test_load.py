"""The bounded load test (bench/load_test.py) at a small size: concurrent readers and
writers against a real gunicorn server on loopback, then every write read back. Zero 5xx,
zero transport errors, zero lost or partial writes; the figures are printed (run pytest -s).
Speed is not asserted here (bench/ measures it)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from justicegraph.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent


def load_test_module():
    spec = importlib.util.spec_from_file_location("jg_load_test", ROOT / "bench" / "load_test.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.server
@pytest.mark.slow
def test_concurrent_readers_and_writers_lose_nothing(tmp_path):
    if "serve" not in cli_main.commands:
        pytest.skip("`justicegraph serve` is not implemented yet (justicegraph/cli/serve.py)")
    lt = load_test_module()
    process, url = lt.start_server(tmp_path / "store", write_token="w-load", read_token="r-load",
                                   workers=2, threads=4, log=tmp_path / "server.log")
    try:
        result = lt.run(url, duration=4.0, readers=3, writers=2, write_token="w-load", read_token="r-load",
                        batch=20)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(json.dumps(result, indent=1))
    assert result["server_errors"] == 0, result["errors"]
    assert result["transport_errors"] == 0, result["errors"]
    assert result["lost_or_partial"] == []
    assert result["acknowledged_writes"] > 0, result["errors"]
    assert any(k.startswith("read") and k.endswith(" 200") for k in result["statuses"]), result["statuses"]
    assert result["ok"]


def test_ledger_check_catches_lost_partial_and_resurrected_writes():
    lt = load_test_module()
    from collections import Counter

    writes = [("post", "a", 3, True), ("put", "b", 2, True), ("post", "c", 4, True), ("update", "d", 1, False)]
    assert lt._check_graph("g", writes, Counter({"b": 2, "c": 4})) == []
    assert lt._check_graph("g", writes, Counter({"b": 2, "c": 4, "d": 1})) == []  # unacknowledged may land
    assert "lost" in lt._check_graph("g", writes, Counter({"b": 2}))[0]
    assert "partial" in lt._check_graph("g", writes, Counter({"b": 2, "c": 3}))[0]
    assert "survived" in lt._check_graph("g", writes, Counter({"a": 3, "b": 2, "c": 4}))[0]
    assert "unknown" in lt._check_graph("g", writes, Counter({"b": 2, "c": 4, "zz": 1}))[0]
