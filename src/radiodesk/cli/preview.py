"""`radiodesk serve`: preview the local store (a show's, or a whole station's) over HTTP."""

from __future__ import annotations

import click

from radiodesk.cli import Context
from radiodesk.publish import preview_server
from radiodesk.publish.storage import show_storage, station_storage


@click.command(name="serve")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: visible to phones on this network).",
)
@click.pass_obj
def serve_command(obj: Context, port: int, host: str) -> None:
    """Preview the local store over HTTP: the feed, the web page and the audio."""
    station = None if obj.shows else obj.station()
    if station is not None:  # the whole station: its page, and every programme under it
        store = station.local_store
        public = station_storage(station).url("")
    else:
        settings = obj.settings()
        store, public = settings.local_store, show_storage(settings).url("")
    server = preview_server.make_server(store, host=host, port=port, public_base_url=public)
    if preview_server.exposed(host):
        click.echo(
            f"radiodesk: warning: listening on {host}: the store is visible to this network",
            err=True,
        )
    base = preview_server.preview_url(server)
    click.echo(f"web page: {base}")
    if station is None:
        click.echo(f"feed (paste into a podcast app): {base}feed.xml")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
