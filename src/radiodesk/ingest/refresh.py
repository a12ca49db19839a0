"""Brings every episode's derived files up to date before a publish: MP3, clips, waveform.

Stale files are pruned; the dry run's preview is preview.py's. Never uploads anything.
"""

from __future__ import annotations

from pathlib import Path

from radiodesk.audio import waveform
from radiodesk.audio.mp3 import PIPELINE_VERSION
from radiodesk.files import fingerprint
from radiodesk.ingest.derived import prune_derived, refresh_audio
from radiodesk.ingest.episode_tags import cover_path
from radiodesk.ingest.progress import ProgressFn
from radiodesk.ingest.soundbite_clips import refresh_clips
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode
from radiodesk.show.settings import Settings
from radiodesk.show.statcache import Stamp, StatCache, stamp


def up_to_date_episodes(
    settings: Settings,
    *,
    on_progress: ProgressFn | None = None,
    only: frozenset[str] | None = None,
) -> list[Episode]:
    """Bring every episode's (or those `only` names) derived files up to date; return them.

    The caller holds the show's lock.
    """
    current = []
    # An episode whose files and settings have not changed since it was last found up to date
    # is skipped: re-checking every tag and artwork is most of a publish with nothing to do.
    checked = StatCache(settings.root, "up-to-date")
    context = fingerprint(
        {"show": settings.show, "audio": settings.audio, "pipeline": PIPELINE_VERSION}
    )
    episodes = [
        e for e in episode_file.load_episodes(settings.root) if only is None or e.slug in only
    ]
    for episode in episodes:
        folder = folders.episode_dir(settings.root, episode.slug)
        if checked.get(episode.slug, _inputs(settings, folder, episode)) == context:
            current.append(episode)
            continue
        refreshed = refresh_audio(settings, folder, episode, on_progress=on_progress)
        fresh = refreshed.episode
        if fresh != episode:
            episode_file.write_episode(folder, fresh)
        refresh_clips(settings, folder, fresh, refreshed.tags)
        prune_derived(folder, fresh)
        _refresh_peaks(folder, fresh)
        checked.put(episode.slug, _inputs(settings, folder, fresh), context)
        current.append(fresh)
    if only is None:
        checked.keep_only({e.slug for e in episodes})
    checked.save()
    return current


def _inputs(settings: Settings, folder: Path, episode: Episode) -> list[Stamp]:
    """Stamp every file the up-to-date check of an episode reads (or prunes)."""
    files = [
        folder / folders.EPISODE_FILE,
        folder / folders.DERIVED_DIR,  # its mtime moves when a stray MP3 appears
        folder / episode.audio.file if episode.audio else None,
        folders.peaks_file(folder, episode),
        folders.wave_file(folder, episode),
        cover_path(settings, folder, episode),
        folder / episode.chapters if episode.chapters else None,
    ]
    return [stamp(path) if path is not None else None for path in files]


def _refresh_peaks(folder: Path, episode: Episode) -> None:
    """Draw the web page's waveform once per MP3 (kept beside it as a derived file)."""
    record = episode.audio
    if record is None:
        return
    path, drawing = folders.peaks_file(folder, episode), folders.wave_file(folder, episode)
    peaks = waveform.load_peaks(path, record.sha256)
    if not peaks:
        peaks = waveform.peaks(folder / record.file)
        waveform.save_peaks(path, peaks, record.sha256)
    if waveform.load_wave(drawing, record.sha256) is None:
        waveform.save_wave(drawing, peaks, record.sha256)  # drawn once, not on every publish
