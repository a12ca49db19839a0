"""Commands that read the catalog and print it: `list` (a table or JSON) and `show`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from radiodesk import catalog, provenance, soundbites
from radiodesk.catalog import AudioRecord, Episode, Measurement, Soundbite
from radiodesk.cli import Context
from radiodesk.cli.options import now
from radiodesk.cli.output import duration, programme_error
from radiodesk.config import Settings


@click.command(name="show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show_episode(obj: Context, slug: str, as_json: bool) -> None:
    """Print everything about one episode: metadata, files, processing, corrections."""
    settings = obj.settings()
    episode = catalog.load_episode(catalog.episode_dir(settings.root, slug))
    data = _episode_json(episode, now())
    data.update(
        description=episode.description,
        persons=[{"name": p.name, "role": p.role} for p in episode.persons],
        master={"file": episode.master.file, "sha256": episode.master.sha256},
        previous_masters=[m.file for m in episode.previous_masters],
        corrections=[
            {"at": c.at.isoformat(), "note": c.note, "public": c.public}
            for c in episode.corrections
        ],
        chapters=episode.chapters,
        soundbites=[_soundbite_text(s, episode.audio) for s in episode.soundbites],
        transcript=episode.transcript,
        type=episode.episode_type,
    )
    if episode.audio:
        a = episode.audio
        data["audio"].update(
            file=a.file,
            limiter_ceiling_dbfs=a.limiter_ceiling_dbfs,
            target_lufs=a.target_lufs,
            encoder=f"libmp3lame CBR {a.bitrate_kbps} kbit/s, {a.sample_rate_hz} Hz",
            encodes=a.attempts,
        )
    folder = catalog.episode_dir(settings.root, slug)
    if episode.audio and episode.audio.provenance:
        data["provenance"] = provenance.read(folder / episode.audio.provenance)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_tree(data, "")


def _soundbite_text(sound: Soundbite, record: AudioRecord | None) -> str:
    """Write a soundbite as typed (the recording's times), and where the episode has it."""
    text = f"{soundbites.position(sound.start_s)}-{soundbites.position(sound.end_s)}"
    heard = soundbites.placed(sound, record) if record else sound
    if heard != sound:
        text += f" (in the episode {soundbites.position(heard.start_s)}-"
        text += f"{soundbites.position(heard.end_s)})"
    return text + (f" {sound.title}" if sound.title else "")


def _print_tree(data: dict[str, Any], indent: str) -> None:
    """Print nested values as indented `key: value` lines (lists of tables as `-` items)."""
    for key, value in data.items():
        if isinstance(value, dict):
            click.echo(f"{indent}{key}:")
            _print_tree(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            click.echo(f"{indent}{key}:")
            for item in value:
                click.echo(f"{indent}  -")
                _print_tree(item, indent + "    ")
        else:
            click.echo(f"{indent}{key}: {value}")


@click.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_episodes(obj: Context, as_json: bool) -> None:
    """Show episodes with status, date, duration and loudness (a station: of every programme)."""
    in_station = obj.station() is not None
    shows, failed = _shows_to_list(obj) if in_station else ([("", obj.settings())], False)
    rows = [(name, e) for name, s in shows for e in catalog.load_episodes(s.root)]
    at = now()
    if as_json:
        data = [{"programme": n, **_episode_json(e, at)} if in_station else _episode_json(e, at)
                for n, e in rows]  # fmt: skip
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _episode_table(rows, at, in_station)
    if failed:
        raise click.exceptions.Exit(1)


def _shows_to_list(obj: Context) -> tuple[list[tuple[str, Settings]], bool]:
    """The station's readable programmes; each unreadable one is reported on its own line."""
    shows: list[tuple[str, Settings]] = []
    failed = False
    for programme in obj.programmes():
        if programme.error is not None:
            programme_error(programme, programme.error)
            failed = True
        elif programme.settings is not None:
            shows.append((programme.name, programme.settings))
    return shows, failed


def _episode_table(rows: list[tuple[str, Episode]], at: datetime, in_station: bool) -> None:
    columns = ["slug", "status", "date", "duration", "LUFS before → after", "TP after", "title"]
    table = Table(*(["programme", *columns] if in_station else columns))
    for name, e in rows:
        a = e.audio
        table.add_row(
            *([name] if in_station else []),
            e.slug,
            e.status(at),
            e.date.strftime("%Y-%m-%d %H:%M %z"),
            duration(a.duration_s) if a else "-",
            f"{a.before.integrated_lufs:.1f} → {a.after.integrated_lufs:.1f}" if a else "-",
            f"{a.after.true_peak_dbtp:.1f} dBTP" if a else "-",
            e.title,
        )
    Console(width=200 if not sys.stdout.isatty() else None).print(table)


def _measured(measurement: Measurement) -> dict[str, float]:
    """A measurement as JSON, without the peaks that were not metered."""
    return {k: v for k, v in asdict(measurement).items() if v is not None}


def _episode_json(e: Episode, at: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": e.slug,
        "guid": e.guid,
        "title": e.title,
        "status": e.status(at),
        "date": e.date.isoformat(),
        "season": e.season,
        "episode": e.number,
        "master_sha256": e.master.sha256,
    }
    if e.audio:
        a = e.audio
        data["audio"] = {
            "duration_s": a.duration_s,
            "size_bytes": a.size_bytes,
            "sha256": a.sha256,
            "channel_plan": a.channel_plan,
            "gain_db": a.gain_db,
            "before": _measured(a.before),
            "after": _measured(a.after),
        }
    return data
