"""Bringing every episode's derived files up to date before a publish, or previewing that.

Per episode: the MP3 (derived.py), the soundbite clips, the waveform; stale files are pruned.
`publish --dry-run` builds what is stale in a scratch folder instead. Never uploads anything.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from radiodesk.audio import process as audio
from radiodesk.audio import tags as tagging
from radiodesk.audio import waveform
from radiodesk.ingest.derived import fingerprint, prune_derived, refresh_audio
from radiodesk.ingest.episode_tags import cover_path
from radiodesk.ingest.progress import ProgressFn
from radiodesk.ingest.soundbites import refresh_clips
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode
from radiodesk.show.settings import Settings
from radiodesk.show.soundbites import clips_ready
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
        {"show": settings.show, "audio": settings.audio, "pipeline": audio.PIPELINE_VERSION}
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


def preview_stale(
    settings: Settings, work: Path, *, only: frozenset[str] | None = None
) -> dict[str, Episode]:
    """Rebuild stale MP3s (of those `only` names) under `work` only; return those that change."""
    changed: dict[str, Episode] = {}
    for episode in episode_file.load_episodes(settings.root):
        if only is not None and episode.slug not in only:
            continue
        folder = folders.episode_dir(settings.root, episode.slug)
        refreshed = refresh_audio(settings, folder, episode, preview_dir=work)
        fresh = refreshed.episode
        if not clips_ready(settings.audio, folder, fresh):
            fresh = _preview_clips(settings, folder, fresh, work, refreshed.tags)
        if fresh != episode:
            changed[episode.slug] = fresh
    return changed


def _preview_clips(
    settings: Settings, folder: Path, episode: Episode, work: Path, tags: tagging.Tags
) -> Episode:
    """Cut missing clips under `work` (beside a copy of the MP3), leaving the show untouched."""
    assert episode.audio is not None
    source = folder / episode.audio.file
    if not source.is_relative_to(work):
        copy = work / source.name
        shutil.copyfile(source, copy)
        episode = replace(episode, audio=replace(episode.audio, file=str(copy)))
    refresh_clips(settings, folder, episode, tags)
    return episode
