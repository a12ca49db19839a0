"""Runs one publish: plan, upload media, render the feed, upload the feed LAST, then prune.

Moves what ingest made; never processes audio. Returns a Report; never prints.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from radiodesk import catalog, feed
from radiodesk.artwork import inspect_image
from radiodesk.audio import file_sha256
from radiodesk.catalog import Episode
from radiodesk.config import Settings
from radiodesk.errors import FeedError
from radiodesk.storage import IMMUTABLE, SHORT, ObjectInfo, Storage

log = logging.getLogger(__name__)

FEED_KEY = "feed.xml"
FEED_TYPE = "application/rss+xml; charset=utf-8"
MANAGED_PREFIXES = ("audio/", "images/")  # publish owns these: unreferenced objects are pruned
STATE_DIR = ".radiodesk"
SHOW_IMAGE = ":show"  # keys of the media table: a slug, a slug + IMAGE_SUFFIX, or SHOW_IMAGE
IMAGE_SUFFIX = ":image"

# bytes sent, bytes in all
UploadProgressFn = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One file that the store should hold."""

    path: Path
    key: str
    content_type: str
    cache_control: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a publish will do, worked out before anything is touched."""

    episodes: tuple[Episode, ...]
    uploads: tuple[Upload, ...]  # media first; the feed is last
    deletes: tuple[str, ...]
    feed_url: str
    unchanged: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What a publish did."""

    feed_url: str
    published: tuple[str, ...]  # slugs in the feed, newest first
    uploaded: tuple[str, ...] = field(default_factory=tuple)
    deleted: tuple[str, ...] = field(default_factory=tuple)
    unchanged: int = 0
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """Return whether the store was (or would be) changed."""
        return bool(self.uploaded or self.deleted)


def plan_publish(
    settings: Settings,
    storage: Storage,
    *,
    now: datetime,
    work: Path,
    exclude: frozenset[str] = frozenset(),
    overrides: Mapping[str, Episode] | None = None,
) -> Plan:
    """Work out uploads and deletes from one listing of the store and the recorded hashes.

    `overrides` replaces episodes by slug (a dry run's preview of re-tagged audio).
    """
    replaced = overrides or {}
    episodes = tuple(
        replaced.get(e.slug, e)
        for e in catalog.load_episodes(settings.root)
        if e.status(now) == "ready" and e.slug not in exclude
    )
    media = _media_uploads(settings, episodes)
    feed_bytes = feed.build_feed(
        _channel(settings, storage, media), _items(settings, storage, episodes, media)
    )
    feed_file = work / FEED_KEY
    feed_file.write_bytes(feed_bytes)
    feed_upload = _upload(feed_file, FEED_KEY, FEED_TYPE, SHORT)
    listing = storage.list()
    remembered = load_state(settings.root, storage)
    wanted = [*media.values(), feed_upload]
    todo = tuple(u for u in wanted if not _is_current(u, listing, remembered))
    keep = {u.key for u in wanted}
    deletes = tuple(sorted(k for k in listing if k.startswith(MANAGED_PREFIXES) and k not in keep))
    return Plan(
        episodes=episodes,
        uploads=todo,
        deletes=deletes,
        feed_url=storage.url(FEED_KEY),
        unchanged=len(wanted) - len(todo),
    )


def publish(
    settings: Settings,
    storage: Storage,
    *,
    now: datetime,
    dry_run: bool = False,
    exclude: frozenset[str] = frozenset(),
    overrides: Mapping[str, Episode] | None = None,
    on_upload: UploadProgressFn | None = None,
) -> Report:
    """Publish every ready episode (but `exclude`): media first, the feed last, then prune."""
    with tempfile.TemporaryDirectory(prefix="radiodesk-publish-") as tmp:
        plan = plan_publish(
            settings, storage, now=now, work=Path(tmp), exclude=exclude, overrides=overrides
        )
        if not dry_run:
            _carry_out(settings, storage, plan, on_upload)
    return Report(
        feed_url=plan.feed_url,
        published=tuple(e.slug for e in plan.episodes),
        uploaded=tuple(u.key for u in plan.uploads),
        deleted=plan.deletes,
        unchanged=plan.unchanged,
        dry_run=dry_run,
    )


def _carry_out(
    settings: Settings, storage: Storage, plan: Plan, on_upload: UploadProgressFn | None
) -> None:
    total = sum(u.size_bytes for u in plan.uploads)
    sent = 0

    def on_bytes(count: int) -> None:
        nonlocal sent
        sent += count
        if on_upload:
            on_upload(sent, total)

    state = load_state(settings.root, storage)
    # Media before the feed: the live feed must never point at an object that is not there yet.
    for upload in sorted(plan.uploads, key=lambda u: u.key == FEED_KEY):
        storage.put(upload.path, upload.key, upload.content_type, upload.cache_control, on_bytes)
        state[upload.key] = upload.sha256
        log.info("uploaded %s", upload.key)
    if plan.deletes:
        storage.delete(list(plan.deletes))
        for key in plan.deletes:
            state.pop(key, None)
    if plan.uploads or plan.deletes:
        _save_state(settings.root, storage, state)


def _media_uploads(settings: Settings, episodes: Sequence[Episode]) -> dict[str, Upload]:
    """Return the audio and artwork the feed needs (see SHOW_IMAGE for the table's keys)."""
    uploads: dict[str, Upload] = {}
    if settings.show.image:
        uploads[SHOW_IMAGE] = _image_upload(settings.root / settings.show.image, "cover")
    for episode in episodes:
        folder = catalog.episode_dir(settings.root, episode.slug)
        if episode.audio is None:
            continue
        record = episode.audio
        uploads[episode.slug] = Upload(
            path=folder / record.file,
            key=catalog.audio_key(episode),
            content_type="audio/mpeg",
            cache_control=IMMUTABLE,
            size_bytes=record.size_bytes,
            sha256=record.sha256,
        )
        if episode.image:
            uploads[episode.slug + IMAGE_SUFFIX] = _image_upload(
                folder / episode.image, episode.slug
            )
    return uploads


def _image_upload(path: Path, stem: str) -> Upload:
    info = inspect_image(path)
    upload = _upload(path, "", info.mime, IMMUTABLE)
    key = catalog.image_key(stem, upload.sha256, info.suffix)
    return Upload(
        path=path,
        key=key,
        content_type=info.mime,
        cache_control=IMMUTABLE,
        size_bytes=upload.size_bytes,
        sha256=upload.sha256,
    )


def _upload(path: Path, key: str, content_type: str, cache_control: str) -> Upload:
    return Upload(
        path=path,
        key=key,
        content_type=content_type,
        cache_control=cache_control,
        size_bytes=path.stat().st_size,
        sha256=file_sha256(path),
    )


def _is_current(upload: Upload, listing: dict[str, ObjectInfo], remembered: dict[str, str]) -> bool:
    """An object is current if the store has it at that size and (mutable keys) the same hash."""
    info = listing.get(upload.key)
    if info is None or info.size_bytes != upload.size_bytes:
        return False
    content_addressed = upload.key.startswith(MANAGED_PREFIXES)
    return content_addressed or remembered.get(upload.key) == upload.sha256


def _channel(settings: Settings, storage: Storage, media: dict[str, Upload]) -> feed.Channel:
    show = settings.show
    image = media.get(SHOW_IMAGE)
    return feed.Channel(
        title=show.title,
        description=show.description or show.title,
        language=show.language,
        link=show.link or show.base_url,
        feed_url=storage.url(FEED_KEY),
        author=show.author or show.title,
        owner_name=show.owner_name or show.author or show.title,
        owner_email=show.email,
        category=show.category,
        subcategory=show.subcategory or None,
        explicit=show.explicit,
        image_url=storage.url(image.key) if image else None,
        copyright=show.copyright or None,
        show_type=show.type,
    )


def _items(
    settings: Settings, storage: Storage, episodes: Sequence[Episode], media: dict[str, Upload]
) -> list[feed.Item]:
    items = []
    for episode in episodes:
        record = episode.audio
        if record is None:
            raise FeedError(
                f"episode {episode.slug!r} has no processed audio",
                hint="run `radiodesk publish` again after fixing its recording",
            )
        # Apple lists itunes:image per item: the episode's own artwork, else the show's.
        image = media.get(episode.slug + IMAGE_SUFFIX) or media.get(SHOW_IMAGE)
        items.append(
            feed.Item(
                guid=episode.guid,
                title=episode.title,
                description=episode.description,
                published=episode.date,
                link=None,
                enclosure_url=storage.url(media[episode.slug].key),
                enclosure_length=record.size_bytes,
                duration_s=record.duration_s,
                season=episode.season,
                episode=episode.number,
                explicit=episode.explicit,
                image_url=storage.url(image.key) if image else None,
                persons=tuple(feed.Person(name=p.name, role=p.role) for p in episode.persons),
            )
        )
    return items


def _state_file(root: Path) -> Path:
    return root / STATE_DIR / "published.json"


def load_state(root: Path, storage: Storage) -> dict[str, str]:
    """Return key -> sha256 of what this show last published to this store."""
    try:
        data = json.loads(_state_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # unknown: mutable objects are simply sent again
    entry = data.get(storage.identity, {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in entry.items()} if isinstance(entry, dict) else {}


def _save_state(root: Path, storage: Storage, state: dict[str, str]) -> None:
    path = _state_file(root)
    path.parent.mkdir(exist_ok=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    data[storage.identity] = dict(sorted(state.items()))
    catalog.write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
