"""Runs `add`: copy the master, process its audio, tag the MP3, record the episode.

Also rebuilds derived files (the MP3) when they are missing or stale. Never uploads anything.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from radiodesk.audio import ffmpeg, tags, waveform
from radiodesk.audio.analysis import Analysis
from radiodesk.audio.measuring import analyse, probe
from radiodesk.audio.mp3 import PIPELINE_VERSION, Rendered, render
from radiodesk.audio.splice import Edit
from radiodesk.audio.tag_values import Cover, TagChapter, Tags
from radiodesk.errors import AudioError, CatalogError, RadiodeskError
from radiodesk.files import file_sha256, write_atomic
from radiodesk.ingest import masters, provenance, sides, soundbites
from radiodesk.ingest import on_air as broadcast
from radiodesk.ingest import splicing as newsroom
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.show import episode_file, folders, staging, timeline
from radiodesk.show.artwork import inspect_image
from radiodesk.show.chapters import load_chapters
from radiodesk.show.episode import (
    AudioRecord,
    Episode,
    EpisodeType,
    MasterFile,
    Measurement,
    Person,
    Soundbite,
    clean_text,
)
from radiodesk.show.settings import EDIT_FIELDS, AudioSettings, Settings
from radiodesk.show.statcache import Stamp, StatCache, stamp
from radiodesk.show.timeline import Timeline

log = logging.getLogger(__name__)

PROVENANCE_SUFFIX = ".provenance.json"
# recording label, stage ("measure" / "encode"), seconds done, seconds in all (0: not known)
ProgressFn = Callable[[str, str, float, float], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class AddRequest:
    """What the producer asked `add` to make of one recording."""

    recording: Path
    title: str
    description: str = ""
    slug: str | None = None
    date: datetime | None = None  # None: now
    season: int | None = None
    number: int | None = None
    image: Path | None = None
    chapters: Path | None = None  # "00:00 Title" lines or Podcasting 2.0 JSON
    transcript: Path | None = None  # WebVTT or SRT
    persons: tuple[Person, ...] = field(default_factory=tuple)
    soundbites: tuple[Soundbite, ...] = field(default_factory=tuple)
    episode_type: EpisodeType = "full"
    explicit: bool = False
    draft: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AddResult:
    """One recording's outcome in a batch: an episode, or the error that stopped it."""

    recording: Path
    episode: Episode | None = None
    error: RadiodeskError | None = None


def add_episode(
    settings: Settings, request: AddRequest, *, now: datetime, on_progress: ProgressFn | None = None
) -> Episode:
    """Ingest one recording as a new episode and return it."""
    (result,) = add_episodes(settings, [request], now=now, on_progress=on_progress)
    if result.error is not None:
        raise result.error
    assert result.episode is not None
    return result.episode


def add_episodes(
    settings: Settings,
    requests: Sequence[AddRequest],
    *,
    now: datetime,
    jobs: int | None = None,
    on_progress: ProgressFn | None = None,
) -> list[AddResult]:
    """Ingest recordings in parallel (one per core); a failed recording doesn't stop the rest."""
    root = settings.root
    results: dict[int, AddResult] = {}
    newsroom.check_jingles(settings)  # every recording would need them: stop before any work
    with folders.locked(root):
        try:
            folders.episodes_dir(root).mkdir(exist_ok=True)
        except OSError as exc:
            raise CatalogError(f"cannot create the episodes folder in {root}: {exc}") from exc
        taken = set(folders.list_slugs(root))
        known = masters.known_recordings(episode_file.load_episodes(root))
        todo: list[tuple[int, AddRequest, _Claim]] = []
        for index, request in enumerate(requests):
            try:
                claim = _claim(request, taken)
            except RadiodeskError as exc:
                results[index] = AddResult(recording=request.recording, error=exc)
                continue
            todo.append((index, request, claim))
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                index: pool.submit(_build, settings, request, claim, now, on_progress)
                for index, request, claim in todo
            }
            for index, future in futures.items():
                recording = requests[index].recording
                try:
                    episode = future.result()
                except RadiodeskError as exc:
                    results[index] = AddResult(recording=recording, error=exc)
                    continue
                warn_if_known(episode.master, known, recording.name)
                known.setdefault(episode.master.sha256, episode.slug)  # twins in one batch too
                results[index] = AddResult(recording=recording, episode=episode)
    return [results[i] for i in range(len(requests))]


def warn_if_known(master: MasterFile, known: dict[str, str], name: str) -> None:
    """Warn when another episode already has this recording (a producer may mean it)."""
    if other := known.get(master.sha256):
        log.warning("%s is the same recording as episode %s (same SHA-256)", name, other)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Claim:
    """A request that passed the cheap checks, with its reserved slug."""

    slug: str
    sides: sides.Sides


def _claim(request: AddRequest, taken: set[str]) -> _Claim:
    """Check the request cheaply and reserve its slug (the caller holds the lock)."""
    title = clean_text(request.title, "the title")
    if not title:
        raise CatalogError("the episode needs a title", hint="pass --title")
    clean_text(request.description, "the description")
    masters.check_recording(request.recording)
    given = sides.read_sides(request.image, request.chapters, request.transcript)
    slug = folders.check_slug(request.slug) if request.slug else folders.make_slug(title, taken)
    if slug in taken:
        raise CatalogError(f"an episode with the slug {slug!r} already exists", hint="pick --slug")
    taken.add(slug)
    return _Claim(slug=slug, sides=given)


def _build(
    settings: Settings,
    request: AddRequest,
    claim: _Claim,
    now: datetime,
    on_progress: ProgressFn | None,
) -> Episode:
    """Make the episode in a staging folder, then move it into place in one rename."""
    root, slug = settings.root, claim.slug
    try:
        work = staging.new_folder(folders.episodes_dir(root))
    except OSError as exc:
        raise CatalogError(f"cannot create episode {slug!r} in {root}: {exc.strerror}") from exc
    try:
        master, analysis = copy_and_measure(settings, request.recording, work, on_progress)
        bites = soundbites.ordered(request.soundbites)
        soundbites.check_in_recording(bites, analysis.source.duration_s)
        sides.check_within(claim.sides, analysis.source.duration_s)
        episode = Episode(
            slug=slug,
            guid=str(uuid.uuid4()),
            title=clean_text(request.title, "the title"),
            description=clean_text(request.description, "the description"),
            date=request.date or now,
            created=now,
            master=master,
            season=request.season,
            number=request.number,
            explicit=request.explicit,
            draft=request.draft,
            episode_type=request.episode_type,
            persons=request.persons,
            soundbites=bites,
        )
        episode = replace(episode, **sides.store_sides(claim.sides, work, slug))  # type: ignore[arg-type]
        episode = refresh_audio(settings, work, episode, on_progress=on_progress, measured=analysis)
        refresh_clips(settings, work, episode)
        if settings.broadcast.enabled:
            stage_on_air(settings, work, episode)
        episode_file.write_episode(work, episode)
        staging.switch(work, folders.episode_dir(root, slug), new=True)
    except OSError as exc:
        staging.discard(work)
        raise CatalogError(f"cannot write episode {slug!r} in {root}: {exc.strerror}") from exc
    except BaseException:
        staging.discard(work)
        raise
    log.info("added %s (%s)", slug, episode.title)
    return episode


def stage_on_air(settings: Settings, work: Path, episode: Episode) -> Path:
    """Make the on-air copy in a staged folder, to move to the export folder with the switch."""
    # Absolute: joined to the show folder as the export folder, it stays what it is.
    folder = staging.pending(work.absolute(), settings.broadcast.folder)
    inside = replace(settings, broadcast=replace(settings.broadcast, folder=folder.as_posix()))
    return broadcast.export_episode(inside, work, episode).path


def copy_and_measure(
    settings: Settings, recording: Path, folder: Path, on_progress: ProgressFn | None
) -> tuple[MasterFile, Analysis]:
    """Copy the recording into the episode while ffmpeg measures it, neither waiting for the other.

    The measuring pass reads the producer's file, not the copy; the file's size and change
    time, the same before and after, show that what was measured is what was copied.
    """
    before = masters.identity(recording)
    stream = probe(recording)
    length_s = stream.header_duration_s or 0.0  # the measuring runs' positions add up to it
    progress = _stage(on_progress, recording.name, "measure", length_s)
    with ThreadPoolExecutor(max_workers=1) as pool:  # leaving it waits for the copy
        copying = pool.submit(masters.copy_master, recording, folder)
        analysis = analyse(
            recording, mp3_profile(settings.audio), stream=stream, on_progress=progress, sample=True
        )
        master = copying.result()
    if progress is not None:
        progress(length_s)  # a header that overstated the length must not leave the bar short
    if masters.identity(recording) != before:
        raise AudioError(
            f"the recording {recording.name} changed while it was being added",
            hint="add it again once it is complete",
        )
    return master, analysis


def rebuild_stale(settings: Settings, *, on_progress: ProgressFn | None = None) -> list[Episode]:
    """Bring every episode's derived MP3 up to date; return those rebuilt (the caller locks)."""
    return _bring_up_to_date(settings, on_progress)[1]


def up_to_date_episodes(
    settings: Settings,
    *,
    on_progress: ProgressFn | None = None,
    only: frozenset[str] | None = None,
) -> list[Episode]:
    """Bring every episode's (or those `only` names) derived MP3 up to date; return them."""
    return _bring_up_to_date(settings, on_progress, only)[0]


def _bring_up_to_date(
    settings: Settings, on_progress: ProgressFn | None, only: frozenset[str] | None = None
) -> tuple[list[Episode], list[Episode]]:
    current, rebuilt = [], []
    # An episode whose files and settings have not changed since it was last found up to date
    # is skipped: re-checking 2,000 tags and artworks is most of a publish with nothing to do.
    checked = StatCache(settings.root, "up-to-date")
    context = _fingerprint(
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
        fresh = refresh_audio(settings, folder, episode, on_progress=on_progress)
        if fresh != episode:
            episode_file.write_episode(folder, fresh)
            rebuilt.append(fresh)
        refresh_clips(settings, folder, fresh)
        prune_derived(folder, fresh)
        _refresh_peaks(folder, fresh)
        checked.put(episode.slug, _inputs(settings, folder, fresh), context)
        current.append(fresh)
    if only is None:
        checked.keep_only({e.slug for e in episodes})
    checked.save()
    return current, rebuilt


def _inputs(settings: Settings, folder: Path, episode: Episode) -> list[Stamp]:
    """Stamp every file the up-to-date check of an episode reads (or prunes)."""
    cover = folder / episode.image if episode.image else None
    if cover is None and settings.show.image:
        cover = settings.root / settings.show.image
    files = [
        folder / folders.EPISODE_FILE,
        folder / folders.DERIVED_DIR,  # its mtime moves when a stray MP3 appears
        folder / episode.audio.file if episode.audio else None,
        folders.peaks_file(folder, episode),
        folders.wave_file(folder, episode),
        cover,
        folder / episode.chapters if episode.chapters else None,
    ]
    return [stamp(path) if path is not None else None for path in files]


def refresh_clips(settings: Settings, folder: Path, episode: Episode) -> None:
    """Check the soundbites against the recording, then cut any clip that is missing.

    A clip is tagged from the episode's values, as its MP3 is, not from that MP3's tag.
    """
    record = episode.audio
    if record is None:
        return
    soundbites.check_within(episode.soundbites, record)
    soundbites.refresh_clips(
        settings.audio, folder, episode, language=settings.show.language,
        episode_tags=functools.partial(tag_values, settings, folder, episode, record.duration_s),
    )  # fmt: skip


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


def refresh_audio(
    settings: Settings,
    folder: Path,
    episode: Episode,
    *,
    preview_dir: Path | None = None,
    on_progress: ProgressFn | None = None,
    measured: Analysis | None = None,
) -> Episode:
    """Return the episode with a derived MP3 that matches its master, settings and tags.

    The MP3 is named by its content (`<slug>-<sha256:12>.mp3`) and never rewritten in place, so
    writing episode.toml is the one step that switches to it: a run killed before that leaves
    the old record pointing at the old, intact file. With `preview_dir`, a stale MP3 is built
    there instead and the show is left untouched (`publish --dry-run`). `measured` is the
    master's analysis when `add` made it while copying the master (and hashed it on the way).
    """
    recipe, record = _recipe(settings, episode), episode.audio
    out_dir = preview_dir or folder / folders.DERIVED_DIR
    current = folder / record.file if record else None
    intact = (
        current is not None
        and current.is_file()
        and current.stat().st_size == (record.size_bytes if record else -1)
        and (not record or not record.provenance or (folder / record.provenance).is_file())
    )
    out_dir.mkdir(exist_ok=True)
    if record is not None and current is not None and intact and record.recipe == recipe:
        episode_tags = tag_values(settings, folder, episode, record.duration_s)
        tags_print = _fingerprint(episode_tags)
        if record.tags == tags_print:
            return episode
        log.info("%s: re-tagging (metadata changed)", episode.slug)
        with _scratch(out_dir) as tmp:
            shutil.copyfile(current, tmp)
            tags.write_tags(tmp, episode_tags)
            final = _settle(tmp, out_dir, episode.slug)
        retagged = replace(record, sha256=file_sha256(final), size_bytes=final.stat().st_size)
        return replace(episode, audio=_located(replace(retagged, tags=tags_print), final, folder))
    log.info("%s: processing audio", episode.slug)
    master = folder / episode.master.file
    label = episode.master.original_name
    analysis = measured
    if analysis is None:
        masters.verify_master(folder, episode)
        progress = _stage(on_progress, label, "measure")
        analysis = analyse(master, mp3_profile(settings.audio), on_progress=progress, sample=True)
    with (
        _scratch(out_dir) as tmp,
        tempfile.TemporaryDirectory(dir=out_dir, prefix=".jingles-") as scratch,
    ):
        steps = newsroom.prepare_edit(settings, master, analysis, Path(scratch))
        rendered = render(
            master,
            tmp,
            mp3_profile(settings.audio),
            analysis,
            on_progress=_stage(on_progress, label, "encode", analysis.source.duration_s),
            edit=steps.edit,
        )
        # The record keeps what the encode metered of the master, not a sampled estimate.
        analysis = replace(analysis, loudness=rendered.before, sampled=False)
        steps_record = provenance.build(
            settings, episode.master, analysis, rendered, steps,
            ffmpeg_version=ffmpeg.find_ffmpeg().version, mutagen_version=tags.MUTAGEN_VERSION,
        )  # fmt: skip
        # The timeline and the rounded duration the record keeps: the fingerprint matches later.
        moved = _moved(steps.edit, analysis)
        duration_s = round(rendered.duration_s, 3)
        episode_tags = tag_values(
            settings, folder, episode, duration_s,
            placing=timeline.of_record(duration_s=duration_s, **moved),
            provenance_json=provenance.compact(steps_record),
        )  # fmt: skip
        tags.write_tags(tmp, episode_tags)
        final = _settle(tmp, out_dir, episode.slug)
        kept = _store_provenance(steps_record, out_dir, episode.slug)
    fresh = _record(rendered, final, recipe, _fingerprint(episode_tags))
    fresh = replace(fresh, provenance=_relative(kept, folder), **moved)  # type: ignore[arg-type]
    return replace(episode, audio=_located(fresh, final, folder))


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


def _store_provenance(record: dict[str, Any], folder: Path, slug: str) -> Path:
    """Keep the record under a name made of its content, as the MP3 is kept (see refresh_audio)."""
    data = provenance.to_json(record)
    path = folder / f"{slug}-{hashlib.sha256(data).hexdigest()[:12]}{PROVENANCE_SUFFIX}"
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


def prune_derived(folder: Path, episode: Episode) -> None:
    """Delete derived MP3s (episode and clips) and provenance records no longer pointed at."""
    keep = soundbites.clip_files(folder, episode)
    record = episode.audio
    keep |= (
        {folder / name for name in (record.file, record.provenance) if name} if record else set()
    )
    derived = folder / folders.DERIVED_DIR
    for path in [*derived.glob("*.mp3"), *derived.glob(f"*{PROVENANCE_SUFFIX}")]:
        if path not in keep:
            path.unlink(missing_ok=True)


def preview_stale(
    settings: Settings, work: Path, *, only: frozenset[str] | None = None
) -> dict[str, Episode]:
    """Rebuild stale MP3s (of those `only` names) under `work` only; return those that change."""
    changed: dict[str, Episode] = {}
    for episode in episode_file.load_episodes(settings.root):
        if only is not None and episode.slug not in only:
            continue
        folder = folders.episode_dir(settings.root, episode.slug)
        fresh = refresh_audio(settings, folder, episode, preview_dir=work)
        if not soundbites.clips_ready(settings.audio, folder, fresh):
            fresh = _preview_clips(settings, folder, fresh, work)
        if fresh != episode:
            changed[episode.slug] = fresh
    return changed


def _preview_clips(settings: Settings, folder: Path, episode: Episode, work: Path) -> Episode:
    """Cut missing clips under `work` (beside a copy of the MP3), leaving the show untouched."""
    assert episode.audio is not None
    source = folder / episode.audio.file
    if not source.is_relative_to(work):
        copy = work / source.name
        shutil.copyfile(source, copy)
        episode = replace(episode, audio=replace(episode.audio, file=str(copy)))
    refresh_clips(settings, folder, episode)
    return episode


def _located(record: AudioRecord, final: Path, folder: Path) -> AudioRecord:
    """Point the record at the MP3: relative inside the episode folder, else absolute."""
    inside = final.is_relative_to(folder)
    return replace(record, file=final.relative_to(folder).as_posix() if inside else str(final))


def tag_values(
    settings: Settings,
    folder: Path,
    episode: Episode,
    duration_s: float,
    *,
    placing: Timeline | None = None,
    provenance_json: str | None = None,
) -> Tags:
    """Return the ID3 values of an episode (its own artwork, else the show's).

    `placing` and `provenance_json` describe a new encode; None: the episode's audio record.
    """
    show = settings.show
    cover_path = folder / episode.image if episode.image else None
    if cover_path is None and show.image:
        cover_path = settings.root / show.image
    cover = None
    if cover_path is not None:
        info = inspect_image(cover_path)
        cover = Cover(data=cover_path.read_bytes(), mime=info.mime)
    chapters = tuple(
        TagChapter(start_s=c.start_s, end_s=c.end_s or duration_s, title=c.title, url=c.url)
        for c in load_chapters(folder, episode, duration_s, placing)
    )
    record = episode.audio
    if provenance_json is None and record is not None and record.provenance:
        provenance_json = provenance.compact(provenance.read(folder / record.provenance))
    extra = {provenance.TAG_DESCRIPTION: provenance_json} if provenance_json else {}
    return Tags(
        title=episode.title,
        artist=show.author or show.title,
        album=show.title,
        date=episode.date,
        description=episode.description,
        language=show.language,
        track=episode.number,
        disc=episode.season,
        episode_guid=episode.guid,
        category=show.category,
        cover=cover,
        chapters=chapters,
        extra=extra,
    )


def _record(rendered: Rendered, derived: Path, recipe: str, tags_print: str) -> AudioRecord:
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


def _recipe(settings: Settings, episode: Episode) -> str:
    given = asdict(settings.audio)
    # Edit settings at their defaults stay out, so the recipes made before they existed hold.
    defaults = asdict(AudioSettings())
    for name in EDIT_FIELDS:
        if given[name] == defaults[name]:
            del given[name]
    if any(name in given for name in EDIT_FIELDS):
        given["timeline"] = 1  # records made before they kept the trims are rebuilt once
    for role in ("intro", "outro"):  # a jingle replaced under the same name rebuilds too
        path = settings.root / given.get(role, "")
        if given.get(role) and path.is_file():
            given[f"{role}_sha256"] = file_sha256(path)
    return _fingerprint(
        {"master": episode.master.sha256, "audio": given, "pipeline": PIPELINE_VERSION}
    )


def _fingerprint(value: object) -> str:
    """Hash a value's canonical JSON form (bytes are hashed, not embedded)."""

    def default(obj: object) -> object:
        if isinstance(obj, bytes):
            return hashlib.sha256(obj).hexdigest()
        if isinstance(obj, datetime):
            return obj.isoformat()
        return asdict(obj)  # type: ignore[call-overload]

    data = asdict(value) if hasattr(value, "__dataclass_fields__") else value  # type: ignore[call-overload]
    text = json.dumps(data, default=default, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _stage(
    on_progress: ProgressFn | None, label: str, stage: str, total_s: float = 0.0
) -> Callable[[float], None] | None:
    if on_progress is None:
        return None
    return lambda done_s: on_progress(label, stage, done_s, total_s)
