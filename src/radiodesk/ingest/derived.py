"""The derived MP3 of one episode: encoded from the master, or re-tagged, when it is out of date.

An MP3 is current when its recipe (master, audio settings, pipeline) and its tag values are
the ones recorded; each is named by its content and never rewritten in place. Never uploads.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from radiodesk.audio import ffmpeg
from radiodesk.audio.analysis import Analysis
from radiodesk.audio.measuring import analyse
from radiodesk.audio.mp3 import PIPELINE_VERSION, Rendered, render
from radiodesk.audio.splice import Edit
from radiodesk.audio.tag_values import Tags
from radiodesk.audio.tags import MUTAGEN_VERSION, write_tags
from radiodesk.files import file_sha256, fingerprint, write_atomic
from radiodesk.ingest import masters
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.ingest.episode_tags import tag_values
from radiodesk.ingest.progress import ProgressFn, stage
from radiodesk.ingest.provenance import Measured, build_record
from radiodesk.ingest.splice_plan import prepare_edit
from radiodesk.show import folders, provenance, soundbites, timeline
from radiodesk.show.chapters import Chapter
from radiodesk.show.episode import AudioRecord, Episode, Measurement
from radiodesk.show.provenance import Provenance
from radiodesk.show.settings import EDIT_FIELDS, AudioSettings, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Computed:
    """What the caller computed in this run already: passed on, never read back from disk."""

    analysis: Analysis | None = None  # the master's measuring pass, made while copying it
    chapters: tuple[Chapter, ...] | None = None  # the chapters just stored, in recording time


@dataclass(frozen=True, slots=True, kw_only=True)
class Refreshed:
    """An episode whose MP3 is current, and what making it computed for the copies made next."""

    episode: Episode
    tags: Tags  # the MP3's tag values: its soundbite clips are tagged alike
    measured: Measured | None = None  # set when this run encoded the master


def refresh_audio(
    settings: Settings,
    folder: Path,
    episode: Episode,
    *,
    preview_dir: Path | None = None,
    on_progress: ProgressFn | None = None,
    computed: Computed | None = None,
) -> Refreshed:
    """Return the episode with a derived MP3 that matches its master, settings and tags.

    The MP3 is named by its content (`<slug>-<sha256:12>.mp3`) and never rewritten in place, so
    writing episode.toml is the one step that switches to it: a run killed before that leaves
    the old record pointing at the old, intact file. With `preview_dir`, a stale MP3 is built
    there instead and the show is left untouched (`publish --dry-run`).
    """
    computed = computed or Computed()
    recipe, record = recipe_of(settings, episode), episode.audio
    out_dir = preview_dir or folder / folders.DERIVED_DIR
    current = record is not None and _intact(folder, record)
    out_dir.mkdir(exist_ok=True)
    if record is None or not current or record.recipe != recipe:
        log.info("%s: processing audio", episode.slug)
        return _encode(settings, folder, out_dir, episode, recipe, on_progress, computed)
    tags = tag_values(settings, folder, episode, record.duration_s, chapters=computed.chapters)
    tags_print = fingerprint(tags)
    if record.tags == tags_print:
        return Refreshed(episode=episode, tags=tags)
    log.info("%s: re-tagging (metadata changed)", episode.slug)
    return Refreshed(episode=_retag(folder, out_dir, episode, tags, tags_print), tags=tags)


def _intact(folder: Path, record: AudioRecord) -> bool:
    """Tell whether the recorded MP3 (and its provenance record) are there, at their size."""
    current = folder / record.file
    return (
        current.is_file()
        and current.stat().st_size == record.size_bytes
        and (not record.provenance or (folder / record.provenance).is_file())
    )


def _retag(folder: Path, out_dir: Path, episode: Episode, tags: Tags, tags_print: str) -> Episode:
    """Copy the MP3 under new tags (the audio as it is) and point the record at the copy."""
    record = episode.audio
    assert record is not None
    with _scratch(out_dir) as tmp:
        shutil.copyfile(folder / record.file, tmp)
        write_tags(tmp, tags)
        final = _settle(tmp, out_dir, episode.slug)
    retagged = replace(record, sha256=file_sha256(final), size_bytes=final.stat().st_size)
    return replace(episode, audio=_located(replace(retagged, tags=tags_print), final, folder))


def _encode(
    settings: Settings,
    folder: Path,
    out_dir: Path,
    episode: Episode,
    recipe: str,
    on_progress: ProgressFn | None,
    computed: Computed,
) -> Refreshed:
    """Measure the master (unless measured), edit, encode and tag it; keep MP3 and record."""
    analysis = computed.analysis
    if analysis is None:
        masters.verify_master(folder, episode)
        label = episode.master.original_name
        analysis = analyse(
            folder / episode.master.file, mp3_profile(settings.audio),
            on_progress=stage(on_progress, label, "measure"), sample=True,
        )  # fmt: skip
    with (
        _scratch(out_dir) as tmp,
        tempfile.TemporaryDirectory(dir=out_dir, prefix=".jingles-") as scratch,
    ):
        made = _render(settings, folder, episode, analysis, tmp, Path(scratch), on_progress)
        tags = tag_values(
            settings, folder, episode, made.duration_s,
            placing=timeline.of_record(duration_s=made.duration_s, **made.moved),
            record=made.record, chapters=computed.chapters,
        )  # fmt: skip
        write_tags(tmp, tags)
        final = _settle(tmp, out_dir, episode.slug)
        kept = _store_provenance(made.record, out_dir, episode.slug)
    fresh = _audio_record(made.rendered, final, recipe, fingerprint(tags))
    fresh = replace(fresh, provenance=_relative(kept, folder), **made.moved)  # type: ignore[arg-type]
    audio_record = _located(fresh, final, folder)
    return Refreshed(
        episode=replace(episode, audio=audio_record), tags=tags, measured=made.measured
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Made:
    """One encode of the master, untagged, with its record and the timeline it keeps."""

    rendered: Rendered
    record: Provenance
    measured: Measured
    moved: dict[str, float]  # how jingles and trims move the recording (see _moved)
    duration_s: float  # as the audio record keeps it, so the tags' fingerprint matches later


def _render(
    settings: Settings,
    folder: Path,
    episode: Episode,
    analysis: Analysis,
    tmp: Path,
    scratch: Path,
    on_progress: ProgressFn | None,
) -> _Made:
    """Trim, join the jingles and encode the master into `tmp`; record every step."""
    master, label = folder / episode.master.file, episode.master.original_name
    steps = prepare_edit(settings, master, analysis, scratch)
    rendered = render(
        master,
        tmp,
        mp3_profile(settings.audio),
        analysis,
        on_progress=stage(on_progress, label, "encode", analysis.source.duration_s),
        edit=steps.edit,
    )
    # The record keeps what the encode metered of the master, not a sampled estimate.
    analysis = replace(analysis, loudness=rendered.before, sampled=False)
    record = build_record(
        settings, episode.master, analysis, rendered, steps,
        ffmpeg_version=ffmpeg.find_ffmpeg().version, mutagen_version=MUTAGEN_VERSION,
    )  # fmt: skip
    trims = Edit(lead_trim_s=steps.edit.lead_trim_s, tail_trim_s=steps.edit.tail_trim_s)
    return _Made(
        rendered=rendered,
        record=record,
        measured=Measured(analysis=analysis, trims=trims),
        moved=_moved(steps.edit, analysis),
        duration_s=round(rendered.duration_s, 3),
    )


def _moved(edit: Edit, analysis: Analysis) -> dict[str, float]:
    """Return how jingles and trims move the recording, as the audio record keeps it."""
    if edit.is_empty:  # the MP3 is the recording, time for time
        return {"offset_s": edit.offset_s()}
    return {
        "offset_s": edit.offset_s(),
        "recording_s": round(analysis.source.duration_s, 3),  # soundbites and cues are cut
        "lead_trim_s": edit.lead_trim_s,  # to what these keep
        "tail_trim_s": edit.tail_trim_s,
    }


def _store_provenance(record: Provenance, folder: Path, slug: str) -> Path:
    """Keep the record under a name made of its content, as the MP3 is kept (see refresh_audio)."""
    data = provenance.to_json(record)
    path = folder / f"{slug}-{hashlib.sha256(data).hexdigest()[:12]}{provenance.SUFFIX}"
    write_atomic(path, data)
    return path


def _relative(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path)


@contextlib.contextmanager
def _scratch(folder: Path) -> Iterator[Path]:
    """Yield a temp file path in `folder`, removed unless it was settled under its final name."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".build-", suffix=".mp3")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _settle(tmp: Path, folder: Path, slug: str) -> Path:
    """Give a finished MP3 its content-addressed name (an existing twin has the same bytes)."""
    final = folder / f"{slug}-{file_sha256(tmp)[:12]}.mp3"
    tmp.chmod(0o644)
    os.replace(tmp, final)
    return final


def _located(record: AudioRecord, final: Path, folder: Path) -> AudioRecord:
    """Point the record at the MP3: relative inside the episode folder, else absolute."""
    inside = final.is_relative_to(folder)
    return replace(record, file=final.relative_to(folder).as_posix() if inside else str(final))


def prune_derived(folder: Path, episode: Episode) -> None:
    """Delete derived MP3s (episode and clips) and provenance records no longer pointed at."""
    keep = soundbites.clip_files(folder, episode)
    record = episode.audio
    keep |= (
        {folder / name for name in (record.file, record.provenance) if name} if record else set()
    )
    derived = folder / folders.DERIVED_DIR
    for path in [*derived.glob("*.mp3"), *derived.glob(f"*{provenance.SUFFIX}")]:
        if path not in keep:
            path.unlink(missing_ok=True)


def _audio_record(rendered: Rendered, derived: Path, recipe: str, tags_print: str) -> AudioRecord:
    return AudioRecord(
        file=derived.name,
        sha256=file_sha256(derived),
        size_bytes=derived.stat().st_size,
        duration_s=round(rendered.duration_s, 3),
        before=Measurement(**asdict(rendered.before)),
        after=Measurement(**asdict(rendered.after)),
        gain_db=round(rendered.gain_db, 2),
        limiter_ceiling_dbfs=round(rendered.limiter_ceiling_dbfs, 2),
        channel_plan=str(rendered.channel_plan),
        mono=rendered.mono,
        bitrate_kbps=rendered.bitrate_kbps,
        sample_rate_hz=rendered.sample_rate_hz,
        target_lufs=rendered.target_lufs,
        attempts=rendered.attempts,
        recipe=recipe,
        tags=tags_print,
    )


def recipe_of(settings: Settings, episode: Episode) -> str:
    """Fingerprint what the MP3's audio is made of: master, audio settings, jingles, pipeline."""
    given = asdict(settings.audio)
    # Edit settings at their defaults stay out: a show that uses none keeps the recipes it has.
    defaults = asdict(AudioSettings())
    for name in EDIT_FIELDS:
        if given[name] == defaults[name]:
            del given[name]
    if any(name in given for name in EDIT_FIELDS):
        given["timeline"] = 1  # the edited episodes' recipe version: bumping it rebuilds them
    for role in ("intro", "outro"):  # a jingle replaced under the same name rebuilds too
        path = settings.root / given.get(role, "")
        if given.get(role) and path.is_file():
            given[f"{role}_sha256"] = file_sha256(path)
    return fingerprint(
        {"master": episode.master.sha256, "audio": given, "pipeline": PIPELINE_VERSION}
    )
