"""`justicegraph public-sync`: rebuild a remote store's public dataset (store_public_url)
from the primary — the repair after a write whose public part failed, or after data
reached the primary other than through justicegraph (justicegraph/store/remote/public.py)."""

from __future__ import annotations

import click


@click.command("public-sync")
@click.pass_obj
def public_sync(obj):
    """Rebuild the public dataset (store_public_url) from the store: restricted, internal and
    vanished graphs leave it, then every public graph is copied whole."""
    store = obj.store()
    if getattr(store, "public", None) is None:
        raise click.ClickException("no public dataset is configured: set store_public_url "
                                   "(JUSTICEGRAPH_STORE_PUBLIC_URL) on a remote store")
    from justicegraph.store.remote import sync_public as sync

    try:
        counts = sync(store)
    except OSError as exc:
        raise click.ClickException(f"the public dataset could not be rebuilt: {exc}") from None
    click.echo(f"public dataset rebuilt: {counts['graphs']} public graphs, {counts['quads']} quads copied, "
               f"{counts['removed_graphs']} graphs removed from it")


commands = [public_sync]
