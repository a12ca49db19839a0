"""`radiodesk init`: create a show or a station folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from radiodesk import scaffold
from radiodesk.cli import Context


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--title", required=True, help="Show title, as apps display it (a station: its name)."
)
@click.option(
    "--base-url", default="", help="Public URL the store is served from (a programme: none)."
)
@click.option("--description", default="", help="What the show is about (at most 4000 bytes).")
@click.option("--language", default="ru", show_default=True, help="ISO 639 code: ru, en-us ...")
@click.option("--author", default="", help="Author shown in apps (itunes:author).")
@click.option("--email", default="", help="Owner e-mail (directories verify ownership with it).")
@click.option(
    "--category", default="News", show_default=True, help='Apple category, e.g. "News/Politics".'
)
@click.option(
    "--image",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Show artwork: square JPEG or PNG, 1400-3000 px.",
)
@click.option("--explicit", is_flag=True, help="Mark the whole show explicit.")
@click.option(
    "--station", "as_station", is_flag=True, help="Create a station (station.toml) instead."
)
@click.pass_obj
def init(obj: Context, /, directory: Path | None, as_station: bool, **options: Any) -> None:
    """Create a show (radiodesk.toml, episodes/) or, with --station, a station.

    In a station folder, each sub-folder made by `init` is a programme: it publishes to the
    station's store under its own prefix, so it needs no --base-url.
    """
    root = directory if directory is not None else obj.directory
    if as_station:
        if not options["base_url"]:
            raise click.UsageError("a station needs --base-url")
        path = scaffold.create_station(
            root,
            name=options["title"],
            **{k: options[k] for k in ("base_url", "description", "language", "image")},
        )
    else:
        path = scaffold.create_show(root, **options)
    click.echo(f"created {path}")
