"""Previews `publish --dry-run`: builds what is stale in a scratch folder, never in the show.

The changed episodes are returned for the plan to show; nothing of the show is written.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from radiodesk.audio.tag_values import Tags
from radiodesk.ingest.derived import refresh_audio
from radiodesk.ingest.soundbite_clips import refresh_clips
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode
from radiodesk.show.settings import Settings
from radiodesk.show.soundbites import clips_ready


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
    settings: Settings, folder: Path, episode: Episode, work: Path, tags: Tags
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
