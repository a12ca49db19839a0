"""Cuts one shareable MP3 clip per soundbite beside the derived MP3 it is cut from.

What a soundbite is, where it lies in the MP3 and which clips exist is show/soundbites.py's;
this module only makes the missing clips and lists them. Never uploads anything.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path

from radiodesk.audio import clips
from radiodesk.audio.tag_values import Tags
from radiodesk.audio.tags import write_tags
from radiodesk.files import atomic_output, file_sha256
from radiodesk.ingest.audio_profiles import clip_target
from radiodesk.show.episode import Episode, Soundbite
from radiodesk.show.settings import AudioSettings, Settings
from radiodesk.show.soundbites import (
    FADE_IN_MS,
    FADE_OUT_MS,
    Clip,
    advice,
    check_within,
    fingerprint,
    intact,
    load_clips,
    placed,
    position,
    save_clips,
    trim_note,
)

log = logging.getLogger(__name__)

EXCERPT = {"ru": "фрагмент", "uk": "фрагмент", "be": "фрагмент"}  # clip title: "Title (…)"


def refresh_clips(
    settings: Settings, folder: Path, episode: Episode, tags: Tags
) -> dict[str, Clip]:
    """Check the soundbites against the MP3, cut any missing clip beside it; return them all.

    `tags` are the episode MP3's tag values: each clip is tagged as the episode is.
    """
    record = episode.audio
    if record is None:
        return {}
    check_within(episode.soundbites, record)
    source = folder / record.file  # absolute for a dry run's preview: the join keeps it
    known = load_clips(source, episode.slug)
    current: dict[str, Clip] = {}
    for sound in episode.soundbites:
        key = fingerprint(episode, sound, settings.audio)
        clip = known.get(key)
        path = source.parent / clip.file if clip else None
        if clip is None or path is None or not intact(path, clip):
            language = settings.show.language
            clip = _make_clip(settings.audio, source, episode, sound, key, tags, language)
        current[key] = clip
    if current != known and (current or known):
        save_clips(source, episode.slug, current)
    return current


def clip_title(episode: Episode, sound: Soundbite, language: str) -> str:
    """Return the clip's ID3 title: the soundbite's own, else the episode's, marked a fragment."""
    word = EXCERPT.get(language.split("-")[0].lower(), "excerpt")
    return sound.title or f"{episode.title} ({word})"


def _make_clip(
    settings: AudioSettings,
    source: Path,
    episode: Episode,
    sound: Soundbite,
    key: str,
    tags: Tags,
    language: str,
) -> Clip:
    assert episode.audio is not None
    final = source.parent / f"{episode.slug}.soundbite-{key}.mp3"
    heard = placed(sound, episode.audio)
    log.info("%s: cutting the soundbite at %s", episode.slug, position(sound.start_s))
    # Said in the producer's times, with the length listeners will hear.
    notes = [trim_note(sound, episode.audio), *advice([replace(heard, start_s=sound.start_s)])]
    for note in filter(None, notes):  # said once, when the clip is cut
        log.warning("%s: %s", episode.slug, note)
    with atomic_output(final, suffix=".part", mode=0o644) as tmp:
        made = clips.make_excerpt(
            source,
            tmp,
            start_s=heard.start_s,
            duration_s=heard.duration_s,
            target=clip_target(settings, episode.audio.target_lufs),
            bitrate_kbps=episode.audio.bitrate_kbps,
            fade_in_ms=FADE_IN_MS,
            fade_out_ms=FADE_OUT_MS,
        )
        write_tags(tmp, _clip_tags(tags, episode, heard, language))
    return Clip(
        file=final.name,
        sha256=file_sha256(final),
        size_bytes=final.stat().st_size,
        duration_s=round(made.duration_s, 3),
        integrated_lufs=made.level.integrated_lufs,
        true_peak_dbtp=made.level.true_peak_dbtp
        if math.isfinite(made.level.true_peak_dbtp)
        else -99.0,
    )


def _clip_tags(parent: Tags, episode: Episode, sound: Soundbite, language: str) -> Tags:
    """Tag the clip as the episode is tagged (artist, album, cover), with its own title.

    `sound` is placed in the MP3's time: the description names the span listeners hear.
    """
    span = f"{position(sound.start_s)}-{position(sound.end_s)}"
    return replace(
        parent,
        title=clip_title(episode, sound, language),
        description=f"{episode.title}, {span}",
        podcast=False,  # a clip to share, not an episode: no podcast flag, no episode guid
        episode_guid=None,
        feed_url=None,
        chapters=(),
    )
