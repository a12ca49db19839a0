"""The on-air copy of an episode: an EBU R128 Broadcast WAV, for the station's playout.

Made from the podcast encode's measuring pass and trims, without jingles (playout adds its own);
audio/broadcast_wave.py encodes it. Never part of a publication.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from radiodesk import __version__
from radiodesk.audio.broadcast_wave import Bext, BroadcastCopy, render_broadcast
from radiodesk.audio.measuring import analyse
from radiodesk.audio.splice import Edit
from radiodesk.errors import AudioError
from radiodesk.ingest.audio_profiles import mp3_profile, wav_profile
from radiodesk.ingest.provenance import Measured, measured_of
from radiodesk.show import episode_file, folders, provenance, staging
from radiodesk.show.episode import Episode
from radiodesk.show.settings import BroadcastSettings, Settings

log = logging.getLogger(__name__)


def export_episodes(settings: Settings, slugs: Sequence[str] | None) -> list[BroadcastCopy]:
    """Make the on-air copies of the named episodes (None: every episode with audio)."""
    with folders.locked(settings.root):
        if slugs is None:
            episodes = [e for e in episode_file.load_episodes(settings.root) if e.audio]
        else:
            episodes = [
                episode_file.load_episode(folders.episode_dir(settings.root, s)) for s in slugs
            ]
        return [
            export_episode(settings, folders.episode_dir(settings.root, e.slug), e)
            for e in episodes
        ]


def stage_on_air(
    settings: Settings, work: Path, episode: Episode, measured: Measured | None = None
) -> Path:
    """Make the on-air copy in a staged folder, to move to the export folder with the switch."""
    # Absolute: joined to the show folder as the export folder, it stays what it is.
    folder = staging.pending(work.absolute(), settings.broadcast.folder)
    inside = replace(settings, broadcast=replace(settings.broadcast, folder=folder.as_posix()))
    return export_episode(inside, work, episode, measured).path


def export_episode(
    settings: Settings, folder: Path, episode: Episode, measured: Measured | None = None
) -> BroadcastCopy:
    """Write `<show>/<folder>/<slug>.wav` from the episode's master and its measuring pass.

    `measured`: what this run's encode of the master measured; None: the recorded one.
    """
    master = folder / episode.master.file
    record = episode.audio
    if measured is None and record is not None and record.provenance:
        measured = measured_of(provenance.read(folder / record.provenance))
    if measured is not None:
        analysis, edit = measured.analysis, measured.trims
    else:  # an episode without a provenance record: measure once more
        analysis, edit = analyse(master, mp3_profile(settings.audio)), Edit()
    out_dir = settings.root / settings.broadcast.folder
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioError(f"cannot create the export folder {out_dir}: {exc.strerror}") from exc
    bext = Bext(
        description=episode.title,
        originator=settings.broadcast.originator or settings.show.author or settings.show.title,
        originator_reference=episode.guid.replace("-", ""),
        origination=episode.date,
        coding_history=coding_history(settings.broadcast, analysis.mono),
    )
    out = out_dir / f"{episode.slug}.wav"
    copy = render_broadcast(master, out, wav_profile(settings.broadcast), analysis, edit, bext)
    log.info("%s: on-air copy at %.1f LUFS", out.name, copy.after.integrated_lufs)
    return copy


def coding_history(settings: BroadcastSettings, mono: bool) -> str:
    """Return the bext coding history line (EBU R98 form) of the copy."""
    return (
        f"A=PCM,F={settings.sample_rate_hz},W={settings.bits},M={'mono' if mono else 'stereo'},"
        f"T=radiodesk {__version__}; EBU R128 {settings.target_lufs:.0f} LUFS\r\n"
    )
