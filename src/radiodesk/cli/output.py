"""What commands print besides their own lines: progress bars, audio lines, publish reports."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import click

from radiodesk.cli import echo_error
from radiodesk.errors import RadiodeskError
from radiodesk.show.settings import Settings

if TYPE_CHECKING:  # types only: importing them would load ingest or publish for every command
    from rich.progress import TaskID

    from radiodesk.cli import Context
    from radiodesk.ingest.add import ProgressFn
    from radiodesk.publish.run import Report
    from radiodesk.publish.station import Programme
    from radiodesk.show.episode import Episode  # (and the catalog before a publish's first request)


@dataclass
class Bars:
    """Progress callbacks for the core, drawn as bars on a terminal (one live display)."""

    audio: ProgressFn | None = None
    upload: Callable[[int, int], None] | None = None


@contextmanager
def progress(obj: Context) -> Iterator[Bars]:
    """Bars per recording and stage (from ffmpeg's own progress) and for bytes uploaded."""
    if not obj.interactive:
        yield Bars()
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=obj.err,
        transient=True,
    ) as bars:
        tasks: dict[tuple[str, str], TaskID] = {}

        def audio(label: str, stage: str, done: float, total: float) -> None:
            if (label, stage) not in tasks:
                tasks[label, stage] = bars.add_task(f"{stage:8} {label}", total=total or None)
            bars.update(tasks[label, stage], completed=done, total=total or None)

        def upload(sent: int, total: int) -> None:
            if ("", "upload") not in tasks:
                tasks["", "upload"] = bars.add_task("upload", total=total)
            bars.update(tasks["", "upload"], completed=sent, total=total)

        yield Bars(audio=audio, upload=upload)


def describe_audio(obj: Context, episode: Episode) -> None:
    """Print the episode's audio on stderr: duration, channels, loudness before and after."""
    a = episode.audio
    if a is None:
        return
    click.echo(
        f"{episode.slug}: {duration(a.duration_s)}, {a.channel_plan}, "
        f"{a.before.integrated_lufs:.1f} LUFS → {a.after.integrated_lufs:.1f} LUFS, "
        f"true peak {a.after.true_peak_dbtp:.1f} dBTP, {a.bitrate_kbps} kbit/s",
        err=True,
    )


def duration(seconds: float) -> str:
    """Return seconds as H:MM:SS."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def programme_error(programme: Programme, exc: RadiodeskError) -> None:
    """Print one programme's error (and hint), named, so the station run can go on."""
    echo_error(exc, f"{programme.name}: ")


def when(moment: datetime, settings: Settings, *, short: bool = False) -> str:
    """Write a moment for a producer: in the show's time zone if it has one, else as dated.

    `short` leaves out which zone (a table's column).
    """
    zone = settings.show.zone
    if zone is not None:
        moment = moment.astimezone(zone)
        named = zone.key
    else:
        offset = moment.strftime("%z")  # +0300
        named = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M}" + ("" if short else f" ({named})")


def schedule_lines(report: Report, settings: Settings) -> list[str]:
    """Return what a publish released, and one line per episode it held back, with when."""
    verb = "would release" if report.dry_run else "released"
    lines = [f"{verb} {slug}, dated {when(date, settings)}" for slug, date in report.released]
    lines += [f"held back: {slug} until {when(date, settings)}" for slug, date in report.held]
    return lines


def print_report(report: Report, settings: Settings) -> None:
    """Print what a publish uploaded and deleted, its warnings, and where the feed is."""
    for line in schedule_lines(report, settings):
        click.echo(line)
    verb = "would upload" if report.dry_run else "uploaded"
    for key in report.uploaded:
        click.echo(f"{verb} {key}")
    for key in report.deleted:
        click.echo(f"{'would delete' if report.dry_run else 'deleted'} {key}")
    for warning in report.warnings:
        click.echo(f"radiodesk: warning: {warning}", err=True)
    click.echo(summary(report))
    click.echo(f"feed: {report.feed_url}")
    if settings.storage.backend == "local":
        click.echo(f"local store: {settings.local_store}")
        if (settings.local_store / "index.html").exists():
            click.echo(
                f"to preview it: radiodesk -C {shlex.quote(str(settings.root))} serve, then open "
                "http://127.0.0.1:8000/ (or open index.html in the store folder)"
            )


def summary(report: Report) -> str:
    """Return "3 episode(s) in the feed; 2 uploaded, 0 deleted" (or nothing to do)."""
    state = (
        "nothing to do: the store is up to date"
        if not report.changed
        else (
            f"{len(report.uploaded)} to upload, {len(report.deleted)} to delete"
            if report.dry_run
            else f"{len(report.uploaded)} uploaded, {len(report.deleted)} deleted"
        )
    )
    return f"{len(report.published)} episode(s) in the feed; {state}"
