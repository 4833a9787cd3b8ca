"""CPU per entity page in process (issue #18, item 7): every entity of a class (prisons by
default) as HTML, its JSON twin, Turtle and JSON-LD, through the app's WSGI callable, each
entity warmed once, then the mean CPU time (``time.process_time``) per page and the mean size.

    .venv/bin/python bench/page_cost.py --store bench/data/p5000-s1/store [--uncached]
        [--kind Prison] [--count 100]

``--uncached`` switches the kept answers off (server/pages.py ``BodyCache``): the cost of a
first visit of each URL, the lists' order already known (``--cold`` measures the very first
request of each entity after the app starts instead: the lists' keys and labels not yet read).
Prints one Markdown row per format and the load average. CPU time moves less than wall time
with the machine's other load, but it still moves: compare rows of one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_lookup import RATE_LIMIT, entity_ids  # noqa: E402

FORMATS = ("text/html", "application/json", "text/turtle", "application/ld+json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--kind", default="Prison", help="class of the entities (local name in the ontology)")
    parser.add_argument("--count", type=int, default=100, help="at most this many entities")
    parser.add_argument("--uncached", action="store_true", help="kept answers off")
    parser.add_argument("--cold", action="store_true", help="the first request of each entity only (HTML)")
    args = parser.parse_args()

    from justicegraph.server import pages
    from justicegraph.server.app import create_app
    from justicegraph.settings import Settings

    ids = entity_ids(args.store, args.count, args.kind)
    settings = Settings.from_env(store=str(args.store)).replace(rate_limit=RATE_LIMIT, workers=1, threads=1,
                                                                executors=1)
    app = create_app(settings)
    if (args.uncached or args.cold) and hasattr(pages, "BodyCache"):  # absent before commit b2b2186
        pages.BodyCache.MIN_CPU_S, pages.BodyCache.HUB_LINKS = float("inf"), sys.maxsize
    client = app.test_client()
    client.get(f"/id/{ids[0]}.ttl")  # the snapshot opened, the app warm
    print(f"{len(ids)} entities of class {args.kind}; load average {os.getloadavg()[0]:.2f}")
    print("| format | ms CPU per page | mean KiB | max KiB |\n|---|---:|---:|---:|")
    for accept in (("text/html",) if args.cold else FORMATS):
        if not args.cold:
            for i in ids:
                client.get(f"/id/{i}", headers={"Accept": accept})
        sizes = []
        started = time.process_time()
        for i in ids:
            response = client.get(f"/id/{i}", headers={"Accept": accept})
            if response.status_code != 200:
                raise SystemExit(f"/id/{i} as {accept}: {response.status_code}")
            sizes.append(len(response.data))
        cpu = (time.process_time() - started) / len(ids) * 1000
        print(f"| {'first request, ' if args.cold else ''}{accept} | {cpu:.1f} | {sum(sizes) / len(sizes) / 1024:.0f} "
              f"| {max(sizes) / 1024:.0f} |")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
