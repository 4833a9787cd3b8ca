"""What serving imports (issue #18, first answer after start): the query executors and the
web app read the remote store's errors from ``justicegraph.store.remote.base`` without
pulling in its HTTP client, which is imported only when a remote engine is used; the
re-exported names of ``justicegraph.store.remote`` still resolve."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("requests", "urllib3")


@pytest.mark.parametrize("module", ["justicegraph.server.protocol.process", "justicegraph.server.app",
                                    "justicegraph.server.protocol.snapshot"])
def test_serving_does_not_import_the_http_client(module):
    code = (f"import sys, importlib; importlib.import_module({module!r}); "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"{module} imports {out}"


def test_the_remote_package_still_exports_its_names():
    from justicegraph.store import remote
    from justicegraph.store.remote.client import RemoteStore, split_location
    from justicegraph.store.remote.public import PublicStore, sync

    assert remote.RemoteStore is RemoteStore and remote.split_location is split_location
    assert remote.PublicStore is PublicStore and remote.sync_public is sync
    with pytest.raises(AttributeError):
        remote.no_such_name  # noqa: B018
    assert set(remote.__all__) <= set(dir(remote)) | {"RemoteStore", "PublicStore", "sync_public"}
