"""Commands that read the catalog and print it: `list` (a table or JSON) and `show`.

Each episode's status is told against what is live in the show's store (live.py's record).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click

from radiodesk.cli import Context, report
from radiodesk.cli.options import now
from radiodesk.cli.output import programme_error
from radiodesk.cli.report import State
from radiodesk.ingest import provenance, soundbites
from radiodesk.publish import live
from radiodesk.publish.storage import store_identity
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import AudioRecord, Episode, Measurement, Soundbite
from radiodesk.show.settings import Settings


@click.command(name="show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show_episode(obj: Context, slug: str, as_json: bool) -> None:
    """Print everything about one episode: status, public URLs, audio, files, corrections."""
    settings = obj.settings()
    episode = episode_file.load_episode(folders.episode_dir(settings.root, slug))
    at = now()
    state = _statuses(settings, [episode], at)[slug]
    data = _episode_json(episode, at, state)
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
    folder = folders.episode_dir(settings.root, slug)
    if episode.audio and episode.audio.provenance:
        data["provenance"] = provenance.read(folder / episode.audio.provenance)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for line in report.episode_report(settings, episode, state, data.get("provenance")):
        click.echo(line)


def _soundbite_text(sound: Soundbite, record: AudioRecord | None) -> str:
    """Write a soundbite as typed (the recording's times), and where the episode has it."""
    text = f"{soundbites.position(sound.start_s)}-{soundbites.position(sound.end_s)}"
    heard = soundbites.placed(sound, record) if record else sound
    if heard != sound:
        text += f" (in the episode {soundbites.position(heard.start_s)}-"
        text += f"{soundbites.position(heard.end_s)})"
    return text + (f" {sound.title}" if sound.title else "")


@click.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_episodes(obj: Context, as_json: bool) -> None:
    """Show episodes: live, changed, ready, scheduled, draft or removed (a station: every one)."""
    in_station = obj.station() is not None
    shows, failed = _shows_to_list(obj) if in_station else ([("", obj.settings())], False)
    at = now()
    rows = []
    for name, settings in shows:
        episodes = episode_file.load_episodes(settings.root)
        states = _statuses(settings, episodes, at)
        rows += [(name, settings, e, states[e.slug]) for e in episodes]
    if as_json:
        data = [{"programme": n, **_episode_json(e, at, st)} if in_station
                else _episode_json(e, at, st) for n, _, e, st in rows]  # fmt: skip
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        report.episode_table([(n, s, e, st.status) for n, s, e, st in rows], in_station)
    if failed:
        raise click.exceptions.Exit(1)


def _statuses(settings: Settings, episodes: list[Episode], at: datetime) -> dict[str, State]:
    """Tell each episode's status against what is live in the show's store."""
    record = live.load(settings.root, store_identity(settings))
    on_air = [e for e in episodes if record and e.slug in record.episodes]
    inputs, _ = live.Inputs(settings.root).of(on_air)  # never remembered: see live.Inputs
    return {
        e.slug: State(
            status=live.status(e, at, record, inputs.get(e.slug)),
            live=record.episodes.get(e.slug) if record else None,
        )
        for e in episodes
    }


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


def _measured(measurement: Measurement) -> dict[str, float]:
    """A measurement as JSON, without the peaks that were not metered."""
    return {k: v for k, v in asdict(measurement).items() if v is not None}


def _episode_json(e: Episode, at: datetime, state: State) -> dict[str, Any]:
    item = state.live.item if state.live else None
    data: dict[str, Any] = {
        "slug": e.slug,
        "guid": e.guid,
        "title": e.title,
        "status": state.status,
        "live": item is not None,
        "url": item.link if item else None,  # the episode's page, as listeners have it
        "audio_url": item.enclosure_url if item else None,
        "live_title": item.title if item else None,
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
