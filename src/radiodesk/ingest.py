"""Runs `add`: copy the master, process its audio, tag the MP3, record the episode.

Also rebuilds derived files (the MP3) when they are missing or stale. Never uploads anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

from radiodesk import audio, catalog, tagging
from radiodesk.artwork import inspect_image
from radiodesk.catalog import AudioRecord, Episode, MasterFile, Measurement, Person
from radiodesk.config import Settings
from radiodesk.errors import AudioError, CatalogError, RadiodeskError

log = logging.getLogger(__name__)

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
    persons: tuple[Person, ...] = field(default_factory=tuple)
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
    with catalog.locked(root):
        _remove_stale_staging(root)
        try:
            catalog.episodes_dir(root).mkdir(exist_ok=True)
        except OSError as exc:
            raise CatalogError(f"cannot create the episodes folder in {root}: {exc}") from exc
        taken = set(catalog.list_slugs(root))
        todo: list[tuple[int, AddRequest, str]] = []
        for index, request in enumerate(requests):
            try:
                slug = _claim_slug(request, taken)
            except RadiodeskError as exc:
                results[index] = AddResult(recording=request.recording, error=exc)
                continue
            todo.append((index, request, slug))
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                index: pool.submit(_build, settings, request, slug, now, on_progress)
                for index, request, slug in todo
            }
            for index, future in futures.items():
                recording = requests[index].recording
                try:
                    results[index] = AddResult(recording=recording, episode=future.result())
                except RadiodeskError as exc:
                    results[index] = AddResult(recording=recording, error=exc)
    return [results[i] for i in range(len(requests))]


def _claim_slug(request: AddRequest, taken: set[str]) -> str:
    """Check the request cheaply and reserve its slug (the caller holds the lock)."""
    title = catalog.clean_text(request.title, "the title")
    if not title:
        raise CatalogError("the episode needs a title", hint="pass --title")
    catalog.clean_text(request.description, "the description")
    _check_recording(request.recording)
    if request.image:
        inspect_image(request.image)
    slug = catalog.check_slug(request.slug) if request.slug else catalog.make_slug(title, taken)
    if slug in taken:
        raise CatalogError(f"an episode with the slug {slug!r} already exists", hint="pick --slug")
    taken.add(slug)
    return slug


def _build(
    settings: Settings,
    request: AddRequest,
    slug: str,
    now: datetime,
    on_progress: ProgressFn | None,
) -> Episode:
    """Make the episode in a staging folder, then move it into place in one rename."""
    root = settings.root
    try:
        staging = Path(
            tempfile.mkdtemp(dir=catalog.episodes_dir(root), prefix=catalog.STAGING_PREFIX)
        )
    except OSError as exc:
        raise CatalogError(f"cannot create episode {slug!r} in {root}: {exc.strerror}") from exc
    try:
        master = _copy_master(request.recording, staging)
        image = None
        if request.image:
            image = f"image{inspect_image(request.image).suffix}"
            shutil.copyfile(request.image, staging / image)
        episode = Episode(
            slug=slug,
            guid=str(uuid.uuid4()),
            title=catalog.clean_text(request.title, "the title"),
            description=catalog.clean_text(request.description, "the description"),
            date=request.date or now,
            created=now,
            master=master,
            season=request.season,
            number=request.number,
            explicit=request.explicit,
            draft=request.draft,
            image=image,
            persons=request.persons,
        )
        episode = refresh_audio(settings, staging, episode, on_progress=on_progress)
        catalog.write_episode(staging, episode)
        os.rename(staging, catalog.episode_dir(root, slug))
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CatalogError(f"cannot write episode {slug!r}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("added %s (%s)", slug, episode.title)
    return episode


def rebuild_stale(settings: Settings, *, on_progress: ProgressFn | None = None) -> list[Episode]:
    """Bring every episode's derived MP3 up to date; the caller holds the show's lock."""
    rebuilt = []
    for episode in catalog.load_episodes(settings.root):
        folder = catalog.episode_dir(settings.root, episode.slug)
        fresh = refresh_audio(settings, folder, episode, on_progress=on_progress)
        if fresh != episode:
            catalog.write_episode(folder, fresh)
            rebuilt.append(fresh)
    return rebuilt


def refresh_audio(
    settings: Settings, folder: Path, episode: Episode, *, on_progress: ProgressFn | None = None
) -> Episode:
    """Return the episode with a derived MP3 that matches its master, settings and tags."""
    master = folder / episode.master.file
    tags = tag_values(settings, folder, episode)
    recipe, tags_print = _recipe(settings, episode), _fingerprint(tags)
    record = episode.audio
    derived = folder / catalog.DERIVED_DIR / f"{episode.slug}.mp3"
    present = (
        record is not None and derived.is_file() and derived.stat().st_size == record.size_bytes
    )
    if record is not None and present and record.recipe == recipe and record.tags == tags_print:
        return episode
    derived.parent.mkdir(exist_ok=True)
    if record is not None and present and record.recipe == recipe:
        log.info("%s: re-tagging (metadata changed)", episode.slug)
        return replace(episode, audio=_retag(derived, tags, record, tags_print))
    log.info("%s: processing audio", episode.slug)
    _verify_master(master, episode.master)
    label = episode.master.original_name
    analysis = audio.analyse(
        master, settings.audio, on_progress=_stage(on_progress, label, "measure")
    )
    total_s = analysis.source.duration_s
    rendered = audio.render(
        master,
        derived,
        settings.audio,
        analysis,
        on_progress=_stage(on_progress, label, "encode", total_s),
    )
    tagging.write_tags(derived, tags)
    return replace(episode, audio=_record(rendered, derived, recipe, tags_print))


def tag_values(settings: Settings, folder: Path, episode: Episode) -> tagging.Tags:
    """Return the ID3 values of an episode (its own artwork, else the show's)."""
    show = settings.show
    cover_path = folder / episode.image if episode.image else None
    if cover_path is None and show.image:
        cover_path = settings.root / show.image
    cover = None
    if cover_path is not None:
        info = inspect_image(cover_path)
        cover = tagging.Cover(data=cover_path.read_bytes(), mime=info.mime)
    return tagging.Tags(
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
    )


def _retag(derived: Path, tags: tagging.Tags, record: AudioRecord, tags_print: str) -> AudioRecord:
    fd, tmp_name = tempfile.mkstemp(dir=derived.parent, prefix=".retag-", suffix=".mp3")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(derived, tmp)
        tagging.write_tags(tmp, tags)
        sha, size = audio.file_sha256(tmp), tmp.stat().st_size
        os.replace(tmp, derived)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return replace(record, sha256=sha, size_bytes=size, tags=tags_print)


def _record(rendered: audio.Rendered, derived: Path, recipe: str, tags_print: str) -> AudioRecord:
    return AudioRecord(
        file=f"{catalog.DERIVED_DIR}/{derived.name}",
        sha256=audio.file_sha256(derived),
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
    return _fingerprint(
        {
            "master": episode.master.sha256,
            "audio": asdict(settings.audio),
            "pipeline": audio.PIPELINE_VERSION,
        }
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


def _check_recording(path: Path) -> Path:
    if not path.exists():
        raise AudioError(f"recording {path} does not exist")
    if not path.is_file():
        raise AudioError(f"recording {path} is not a file")
    if path.stat().st_size == 0:
        raise AudioError(f"recording {path.name} is empty (0 bytes)")
    return path


def _copy_master(recording: Path, staging: Path) -> MasterFile:
    """Copy the recording byte for byte, hashing it on the way; make the copy read-only."""
    name = recording.name
    target = staging / catalog.MASTER_DIR / name
    target.parent.mkdir()
    digest = hashlib.sha256()
    size = 0
    try:
        with recording.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    except OSError as exc:
        raise AudioError(f"cannot copy recording {recording}: {exc.strerror or exc}") from exc
    target.chmod(0o444)
    return MasterFile(
        file=f"{catalog.MASTER_DIR}/{name}",
        original_name=name,
        sha256=digest.hexdigest(),
        size_bytes=size,
    )


def _verify_master(path: Path, master: MasterFile) -> None:
    try:
        actual = audio.file_sha256(path)
    except OSError as exc:
        raise CatalogError(f"the master {path} cannot be read: {exc}") from exc
    if actual != master.sha256:
        raise CatalogError(
            f"the master {path} has changed since it was added (SHA-256 mismatch)",
            hint="restore the original recording; radiodesk never modifies masters",
        )


def _remove_stale_staging(root: Path) -> None:
    """Clear half-made episodes left by a run that was killed (we hold the lock)."""
    folder = catalog.episodes_dir(root)
    if folder.is_dir():
        for leftover in folder.glob(f"{catalog.STAGING_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _stage(
    on_progress: ProgressFn | None, label: str, stage: str, total_s: float = 0.0
) -> Callable[[float], None] | None:
    if on_progress is None:
        return None
    return lambda done_s: on_progress(label, stage, done_s, total_s)
