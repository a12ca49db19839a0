"""Commands that look at what was published: `check`, and `verify` (which may `--repair`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from radiodesk import check
from radiodesk.cli import Context
from radiodesk.cli.options import now
from radiodesk.cli.output import programme_error
from radiodesk.errors import RadiodeskError
from radiodesk.publish import check_store as audit
from radiodesk.publish import preview_server as serve
from radiodesk.publish import station as stations
from radiodesk.publish import verify_store as integrity
from radiodesk.publish.storage import Storage, open_storage, open_store
from radiodesk.show.settings import Settings, StationSettings


@click.command()
@click.option("--local-only", is_flag=True, help="Check masters and derived files, not the store.")
@click.option(
    "--repair",
    is_flag=True,
    help="Upload again the published objects whose bytes differ, from files on this computer.",
)
@click.pass_obj
def verify(obj: Context, local_only: bool, repair: bool) -> None:
    """Prove every master and published object is the bytes that were recorded."""
    if local_only and repair:
        raise click.UsageError("--repair works on the store: leave out --local-only")
    settings = obj.settings()
    storage = None if local_only else open_storage(settings)
    if repair and storage is not None:
        _repair(settings, storage)
    report = integrity.verify(settings, storage)
    for problem in report.problems:
        click.echo(f"radiodesk: error: {problem}", err=True)
    click.echo(
        f"checked {report.masters} masters, {report.derived} derived MP3s, "
        f"{report.objects} published objects: "
        + ("all intact" if report.ok else f"{len(report.problems)} problem(s)")
    )
    if any(p.startswith("published object ") for p in report.problems) and not repair:
        click.echo(
            "radiodesk: hint: `radiodesk verify --repair` uploads the damaged objects again "
            "from the files on this computer (and names any it cannot)",
            err=True,
        )
    if not report.ok:
        raise click.exceptions.Exit(1)


def _repair(settings: Settings, storage: Storage) -> None:
    """Send the damaged objects again; name each one no local file can replace."""
    from radiodesk.show import folders

    with folders.locked(settings.root):
        done = integrity.repair(settings, storage, now=now())
    for key in done.repaired:
        click.echo(f"repaired {key}")
    for key in done.unrepairable:
        click.echo(
            f"radiodesk: error: cannot repair {key}: no file on this computer has the bytes "
            "that were published",
            err=True,
        )
    if done.unrepairable:
        click.echo(
            "radiodesk: hint: `radiodesk publish` (naming the episode if it is a page or its "
            "media) replaces what cannot be repaired with what the show holds now",
            err=True,
        )


@click.command(name="check")
@click.option("--skip-audio", is_flag=True, help="Do not meter the published MP3s.")
@click.pass_obj
def check_command(obj: Context, skip_audio: bool) -> None:
    """Check the published show as apps see it: feed, every URL, loudness (a station: each)."""
    station = obj.station()
    if station is None:
        problems = _check_show(obj.settings(), skip_audio)
        if problems:
            click.echo(check.format_report(problems))
        click.echo(check.summary(problems))
        if check.has_errors(problems):
            raise click.exceptions.Exit(1)
        return
    failed = False
    for programme in obj.programmes():
        try:
            if programme.error is not None:
                raise programme.error
            assert programme.settings is not None
            problems = _check_show(programme.settings, skip_audio)
        except RadiodeskError as exc:
            programme_error(programme, exc)
            failed = True
            continue
        failed = _print_checked(programme.name, problems) or failed
    if not obj.shows:  # the whole station: its page and OPML too
        failed = _check_station_page(station) or failed
    if failed:
        raise click.exceptions.Exit(1)


def _print_checked(name: str, problems: list[check.Problem]) -> bool:
    """Print one station member's report, each line prefixed; return whether it has errors."""
    for line in check.format_report(problems).splitlines():
        click.echo(f"{name}: {line}")
    click.echo(f"{name}: {check.summary(problems)}")
    return check.has_errors(problems)


def _check_station_page(station: StationSettings) -> bool:
    """Check the station page and OPML against every programme; return whether that failed."""
    storage = open_store(
        station.storage, station.station.base_url, station.local_store, home=station.root
    )
    try:
        with _store_fetcher(storage, station.storage.backend, station.local_store) as fetch:
            problems = audit.audit_station(storage, stations.load_programmes(station), fetch=fetch)
    except RadiodeskError as exc:
        click.echo(f"radiodesk: error: station page: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"radiodesk: hint: {exc.hint}", err=True)
        return True
    return _print_checked("station page", problems)


def _check_show(settings: Settings, skip_audio: bool) -> list[check.Problem]:
    storage = open_storage(settings)
    with _store_fetcher(storage, settings.storage.backend, settings.local_store) as fetch:
        problems = audit.audit(settings, storage, fetch=fetch, now=now())
    if skip_audio:
        problems = [p for p in problems if not p.where.startswith("audio ")]
    return problems


@contextmanager
def _store_fetcher(storage: Storage, backend: str, local_store: Path) -> Iterator[check.Fetcher]:
    """Yield a Fetcher for the store's public URLs."""
    fetch: check.Fetcher = check.http_fetcher()
    if backend != "local":
        yield fetch
        return
    # The local store is not online yet: check its objects through a preview server.
    server = serve.make_server(local_store, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield audit.RewritingFetcher(fetch, storage.url(""), serve.preview_url(server))
    finally:
        server.shutdown()
        server.server_close()
