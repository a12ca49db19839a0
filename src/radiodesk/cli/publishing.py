"""Commands that change the store: `publish` (a show, or a whole station) and `remove`.

The store is asked for its listing before the rest of the publishing code (the catalog too) is
even loaded: a big show's listing takes longer than all else a publish with nothing to do does,
so it starts first and the code loads while the store answers.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from radiodesk.cli import Context
from radiodesk.cli.options import now
from radiodesk.cli.output import print_report, programme_error, progress, summary
from radiodesk.config import Settings, StationSettings
from radiodesk.errors import RadiodeskError
from radiodesk.storage import Listing, open_storage, open_store

if TYPE_CHECKING:
    from radiodesk.catalog import Episode
    from radiodesk.publish import Report


@click.command()
@click.option(
    "--dry-run", is_flag=True, help="Show what would be uploaded and deleted; touch nothing."
)
@click.pass_obj
def publish(obj: Context, dry_run: bool) -> None:
    """Publish ready episodes to the store, then the feed (a station: every programme)."""
    station = obj.station()
    if station is not None:
        _publish_station(obj, station, dry_run)
        return
    settings = obj.settings()
    print_report(_publish_show(obj, settings, dry_run), settings)
    if settings.station is not None:  # a programme: its station page names its latest episode
        _publish_station_page(settings.station, dry_run)


def _publish_show(obj: Context, settings: Settings, dry_run: bool) -> Report:
    storage = open_storage(settings)
    at = now()
    listing = Listing(storage)  # first: see above
    from radiodesk import catalog, ingest
    from radiodesk import publish as publishing

    with (
        catalog.locked(settings.root),
        tempfile.TemporaryDirectory() as preview,
        progress(obj) as bars,
    ):
        overrides: dict[str, Episode] = {}

        def prepare() -> list[Episode] | None:  # runs once the store has answered
            if dry_run:
                overrides.update(ingest.preview_stale(settings, Path(preview)))
                return None
            return ingest.up_to_date_episodes(settings, on_progress=bars.audio)

        report = publishing.publish(
            settings,
            storage,
            now=at,
            dry_run=dry_run,
            overrides=overrides,
            prepare=prepare,
            on_upload=bars.upload,
            listing=listing,
        )
    return report


def _publish_station(obj: Context, station: StationSettings, dry_run: bool) -> None:
    """Publish each programme in full (one failing stops none of the others), then the page."""
    failed: list[str] = []
    for programme in obj.programmes():
        try:
            if programme.error is not None:
                raise programme.error
            assert programme.settings is not None
            report = _publish_show(obj, programme.settings, dry_run)
        except RadiodeskError as exc:
            programme_error(programme, exc)
            failed.append(programme.name)
            continue
        for warning in report.warnings:
            click.echo(f"radiodesk: warning: {programme.name}: {warning}", err=True)
        click.echo(f"{programme.name}: {summary(report)}; feed: {report.feed_url}")
    if failed:
        click.echo(f"station page left as it was: fix {', '.join(failed)}, then publish again")
        raise click.exceptions.Exit(1)
    _publish_station_page(station, dry_run)


def _publish_station_page(station: StationSettings, dry_run: bool) -> None:
    """Refresh the station page from every programme (even those --show left out)."""
    from radiodesk import catalog
    from radiodesk import station as stations

    everyone = stations.load_programmes(station)
    broken = [p.name for p in everyone if p.settings is None]
    if broken:  # the programmes asked for are published; a page without the others would lie
        click.echo(
            f"radiodesk: warning: station page left as it was: fix {', '.join(broken)}",
            err=True,
        )
        return
    storage = open_store(station.storage, station.station.base_url, station.local_store)
    with catalog.locked(station.root):
        page = stations.publish_page(
            station,
            storage,
            [p.settings for p in everyone if p.settings is not None],
            now=now(),
            dry_run=dry_run,
        )
    for key in page.uploaded:
        click.echo(f"{'would upload' if dry_run else 'uploaded'} {key}")
    click.echo(f"station page: {page.url}")


@click.command()
@click.argument("slug")
@click.option("--purge", is_flag=True, help="Also delete the episode folder and its master.")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; touch nothing.")
@click.pass_obj
def remove(obj: Context, slug: str, purge: bool, dry_run: bool) -> None:
    """Take an episode out of the feed, then delete its published objects."""
    from radiodesk import catalog
    from radiodesk import publish as publishing

    settings = obj.settings()
    storage = open_storage(settings)
    with catalog.locked(settings.root):
        episode = catalog.load_episode(catalog.episode_dir(settings.root, slug))
        folder = catalog.episode_dir(settings.root, slug)
        if not dry_run:
            catalog.write_episode(folder, replace(episode, removed=True))
        report = publishing.publish(
            settings, storage, now=now(), dry_run=dry_run, exclude=frozenset({slug})
        )
        if purge and not dry_run:
            catalog.purge_episode(settings.root, slug)
    print_report(report, settings)
    if purge and not dry_run:
        click.echo(f"deleted episodes/{slug} and its master")
