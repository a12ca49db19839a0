"""Commands that change the store: `publish` (a show, some episodes, a station) and `remove`.

The store is asked for its listing before the rest of the publishing code (the catalog too) is
even loaded: a big show's listing takes longer than all else a publish with nothing to do does,
so it starts first and the code loads while the store answers.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from radiodesk.cli import Context
from radiodesk.cli.options import now
from radiodesk.cli.output import (
    print_report,
    programme_error,
    progress,
    schedule_lines,
    summary,
)
from radiodesk.errors import CatalogError, RadiodeskError
from radiodesk.publish.storage import Listing, open_storage, open_store
from radiodesk.show.settings import Settings, StationSettings

if TYPE_CHECKING:
    from radiodesk.publish.run import Report
    from radiodesk.show.episode import Episode


@click.command()
@click.argument("slugs", nargs=-1)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be uploaded and deleted; touch nothing."
)
@click.option(
    "--due",
    is_flag=True,
    help="Only the scheduled episodes whose time has come (for cron); nothing else changes.",
)
@click.pass_obj
def publish(obj: Context, slugs: tuple[str, ...], dry_run: bool, due: bool) -> None:
    """Publish ready episodes, then the feed (a station: every programme).

    With SLUGS, only those episodes change in the live feed (a draft among them is released,
    dated now); every other episode, and the show itself, stays as it was last published.
    """
    if slugs and due:
        raise click.UsageError("give episode slugs or --due, not both")
    only = frozenset(slugs) if slugs else None
    station = obj.station()
    if station is not None:
        if only is not None and len(obj.shows) != 1:
            raise click.UsageError("in a station, name the episodes' programme with one --show")
        _publish_station(obj, station, dry_run, only, due)
        return
    settings = obj.settings()
    print_report(_publish_show(obj, settings, dry_run, only, due), settings)
    if settings.station is not None:  # a programme: its station page names its latest episode
        _publish_station_page(settings.station, dry_run)


def _publish_show(
    obj: Context,
    settings: Settings,
    dry_run: bool,
    only: frozenset[str] | None = None,
    due: bool = False,
) -> Report:
    storage = open_storage(settings)
    at = now()
    listing = Listing(storage)  # first: see above
    from radiodesk.ingest import add as ingest
    from radiodesk.publish import run as publishing
    from radiodesk.show import folders

    with (
        folders.locked(settings.root),
        tempfile.TemporaryDirectory() as preview,
        progress(obj) as bars,
    ):
        overrides: dict[str, Episode] = {}

        def prepare(
            named: frozenset[str] | None,
        ) -> list[Episode] | None:  # once the store answered
            if dry_run:
                overrides.update(ingest.preview_stale(settings, Path(preview), only=named))
                return None
            return ingest.up_to_date_episodes(settings, on_progress=bars.audio, only=named)

        report = publishing.publish(
            settings,
            storage,
            now=at,
            dry_run=dry_run,
            only=only,
            due=due,
            overrides=overrides,
            prepare=prepare,
            on_upload=bars.upload,
            listing=listing,
        )
    return report


def _publish_station(
    obj: Context,
    station: StationSettings,
    dry_run: bool,
    only: frozenset[str] | None = None,
    due: bool = False,
) -> None:
    """Publish each programme (one failing stops none of the others), then the page."""
    failed: list[str] = []
    for programme in obj.programmes():
        try:
            if programme.error is not None:
                raise programme.error
            assert programme.settings is not None
            report = _publish_show(obj, programme.settings, dry_run, only, due)
        except RadiodeskError as exc:
            programme_error(programme, exc)
            failed.append(programme.name)
            continue
        for warning in report.warnings:
            click.echo(f"radiodesk: warning: {programme.name}: {warning}", err=True)
        for line in schedule_lines(report, programme.settings):
            click.echo(f"{programme.name}: {line}")
        click.echo(f"{programme.name}: {summary(report)}; feed: {report.feed_url}")
    if failed:
        click.echo(f"station page left as it was: fix {', '.join(failed)}, then publish again")
        raise click.exceptions.Exit(1)
    _publish_station_page(station, dry_run)


def _publish_station_page(station: StationSettings, dry_run: bool) -> None:
    """Refresh the station page from every programme (even those --show left out)."""
    from radiodesk.publish import station as stations
    from radiodesk.show import folders

    everyone = stations.load_programmes(station)
    broken = [p.name for p in everyone if p.settings is None]
    if broken:  # the programmes asked for are published; a page without the others would lie
        click.echo(
            f"radiodesk: warning: station page left as it was: fix {', '.join(broken)}",
            err=True,
        )
        return
    storage = open_store(
        station.storage, station.station.base_url, station.local_store, home=station.root
    )
    with folders.locked(station.root):
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
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.pass_obj
def remove(obj: Context, slug: str, purge: bool, dry_run: bool, yes: bool) -> None:
    """Take an episode out of the live feed, then delete its published objects.

    Every other episode stays as it was last published. Asks first on a terminal.
    """
    from radiodesk.publish import run as publishing
    from radiodesk.show import episode_file, folders

    settings = obj.settings()
    storage = open_storage(settings)
    with folders.locked(settings.root):
        folder = folders.episode_dir(settings.root, slug)
        episode = episode_file.load_episode(folder)
        if not dry_run and not yes:
            _confirm_removal(settings, episode, purge)
        named = frozenset({slug})
        report = publishing.publish(
            settings, storage, now=now(), dry_run=dry_run, only=named, removing=named
        )
        if purge and not dry_run:
            folders.purge_episode(settings.root, slug)
    print_report(report, settings)
    if purge and not dry_run:
        click.echo(f"deleted episodes/{slug} and its master")


def _confirm_removal(settings: Settings, episode: Episode, purge: bool) -> None:
    """Name what will be lost and ask; without a terminal to ask on, refuse."""
    lost = f"take «{episode.title}» ({episode.slug}) out of the live feed and delete its "
    lost += "published audio and page from the store"
    if purge:
        master = f"episodes/{episode.slug}/{episode.master.file}"
        size_mb = episode.master.size_bytes / 1_000_000
        lost += f", then delete its folder with the master recording {master} ({size_mb:.1f} MB)"
        lost += " for good"
    if not sys.stdin.isatty():
        raise CatalogError(
            f"remove would {lost}; it asks first, and there is no terminal to ask on",
            hint="add --yes to do it without asking (or --dry-run to see what would change)",
        )
    click.echo(f"This will {lost}.", err=True)
    if not click.confirm("Go ahead?", default=False, err=True):
        click.echo(f"radiodesk: nothing changed: {episode.slug} stays as it was", err=True)
        raise click.exceptions.Exit(1)
