"""A station: programmes (show folders) side by side in one folder, sharing one store.

Finds and loads the programmes, and builds and publishes the station page and its OPML at the
store's root. Never publishes a programme (publish.py does, under the programme's prefix) and
never prints.
"""

from __future__ import annotations

import hashlib
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from radiodesk.check.station import Listed
from radiodesk.errors import ConfigError, RadiodeskError, StorageError
from radiodesk.files import file_sha256
from radiodesk.publish import live, site
from radiodesk.publish.bundle import FEED_KEY, Upload, show_artwork
from radiodesk.publish.storage import IMMUTABLE, SHORT, Storage, store_identity
from radiodesk.show import episode_file
from radiodesk.show.artwork import inspect_image
from radiodesk.show.settings import CONFIG_FILE, Settings, StationSettings
from radiodesk.show.settings_file import load_settings

OPML_KEY = "programmes.opml"
OPML_TYPE = "text/x-opml; charset=utf-8"


@dataclass(frozen=True, slots=True, kw_only=True)
class Programme:
    """One programme folder of a station: its settings, or why they cannot be read."""

    folder: Path
    settings: Settings | None = None
    error: RadiodeskError | None = None

    @property
    def name(self) -> str:
        """Return the programme's folder name, as producers call it."""
        return self.folder.name


@dataclass(frozen=True, slots=True, kw_only=True)
class PageReport:
    """What publishing the station page did (or would do)."""

    url: str
    uploaded: tuple[str, ...]
    dry_run: bool = False


def programme_folders(root: Path) -> list[Path]:
    """Return the station's programme folders (sub-folders with a radiodesk.toml), by name."""
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / CONFIG_FILE).is_file()
    )


def load_programmes(station: StationSettings, names: Sequence[str] = ()) -> list[Programme]:
    """Load every programme (or those `names`, by folder or prefix); keep each one's error."""
    programmes = [_load(folder) for folder in programme_folders(station.root)]
    if not programmes:
        raise ConfigError(
            f"the station {station.root} has no programmes yet",
            hint="create one: radiodesk init <station>/<programme> --title ...",
        )
    _check_prefixes(programmes)
    if not names:
        return programmes
    chosen = [p for p in programmes if p.name in names or _prefix(p) in names]
    known = {p.name for p in chosen} | {_prefix(p) for p in chosen}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"no programme {unknown[0]!r} in the station {station.root}",
            hint="programmes: " + ", ".join(p.name for p in programmes),
        )
    return chosen


def _load(folder: Path) -> Programme:
    try:
        return Programme(folder=folder, settings=load_settings(folder))
    except RadiodeskError as exc:
        return Programme(folder=folder, error=exc)


def _prefix(programme: Programme) -> str:
    return programme.settings.show.prefix if programme.settings else ""


def _check_prefixes(programmes: Sequence[Programme]) -> None:
    """Two programmes under one prefix would prune each other's objects: refuse that."""
    seen: dict[str, str] = {}
    for p in programmes:
        prefix = _prefix(p)
        if prefix and prefix in seen:
            raise ConfigError(
                f"the programmes {seen[prefix]!r} and {p.name!r} both publish under {prefix}/",
                hint="set a different [show] prefix in one of their radiodesk.toml",
            )
        seen[prefix] = p.name


def build_page(
    station: StationSettings,
    storage: Storage,
    programmes: Sequence[Settings],
    *,
    now: datetime,
    work: Path,
) -> tuple[Upload, ...]:
    """Render the station page, its style sheet and OPML; artwork first, the page last."""
    art = _station_artwork(station)
    views = [_site_programme(s, storage, now) for s in programmes]
    page = site.SiteStation(
        name=station.station.name,
        description=station.station.description,
        language=station.station.language,
        image_key=art.key if art else None,
        opml_key=OPML_KEY,
    )
    files = site.render_station(page, views)
    files[OPML_KEY] = opml(station.station.name, views)
    order = [site.CSS_KEY, OPML_KEY, site.INDEX_KEY]  # the page last: it links to the rest
    written = [_written(work, key, files[key], _type(key)) for key in order]
    return (art, *written) if art else tuple(written)


def publish_page(
    station: StationSettings,
    storage: Storage,
    programmes: Sequence[Settings],
    *,
    now: datetime,
    dry_run: bool = False,
) -> PageReport:
    """Upload the station page's objects that differ from the store's; call after the feeds.

    The page lists only programmes whose feed is live (a dry run: every one), so it never
    links to a feed that is not there.
    """
    live = [s for s in programmes if dry_run or _feed_is_live(storage, s)]
    with tempfile.TemporaryDirectory(prefix="radiodesk-station-") as tmp:
        work = Path(tmp)
        uploads = build_page(station, storage, live, now=now, work=work)
        todo = [u for u in uploads if not _is_current(storage, u, work)]
        if not dry_run:
            for upload in todo:
                storage.put(upload.path, upload.key, upload.content_type, upload.cache_control)
    return PageReport(
        url=storage.url(site.INDEX_KEY), uploaded=tuple(u.key for u in todo), dry_run=dry_run
    )


def opml(title: str, programmes: Sequence[site.SiteProgramme]) -> bytes:
    """Return an OPML 2.0 subscription list of the programme feeds (no date: repeatable)."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for p in programmes:
        ET.SubElement(
            body,
            "outline",
            type="rss",
            text=p.title,
            title=p.title,
            xmlUrl=p.feed_url,
            htmlUrl=p.page_url,
        )
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def listing(settings: Settings, storage: Storage) -> Listed:
    """Return how the station page and OPML name a programme: its feed and page URLs."""
    prefix = settings.show.prefix
    return Listed(
        name=settings.root.name,
        feed_url=storage.url(f"{prefix}/{FEED_KEY}"),
        page_url=storage.url(f"{prefix}/{site.INDEX_KEY}"),
    )


def live_listings(storage: Storage, programmes: Sequence[Settings]) -> list[Listed]:
    """Return the listings of the programmes whose feed is in the store (all the page names)."""
    return [listing(s, storage) for s in programmes if _feed_is_live(storage, s)]


def _site_programme(settings: Settings, storage: Storage, now: datetime) -> site.SiteProgramme:
    prefix = settings.show.prefix
    art = show_artwork(settings)
    live = _live_episodes(settings, now)
    latest = None
    if live:
        title, published, slug = max(live, key=lambda e: (e[1], e[2]))
        latest = site.SiteLatest(
            title=title, published=published, page_key=f"{prefix}/{site.episode_key(slug)}"
        )
    listed = listing(settings, storage)
    return site.SiteProgramme(
        title=settings.show.title,
        description=settings.show.description,
        page_key=f"{prefix}/{site.INDEX_KEY}",
        page_url=listed.page_url,
        feed_url=listed.feed_url,
        image_key=f"{prefix}/{art.key}" if art else None,
        episode_count=len(live),
        latest=latest,
    )


def _live_episodes(settings: Settings, now: datetime) -> list[tuple[str, datetime, str]]:
    """Return (title, date, slug) of the programme's episodes as they are live in its store.

    A programme published by an older radiodesk has no record: its ready episodes stand in.
    """
    record = live.load(settings.root, store_identity(settings))
    if record is not None:
        return [(e.item.title, e.item.published, slug) for slug, e in record.episodes.items()]
    ready = [e for e in episode_file.load_episodes(settings.root) if e.status(now) == "ready"]
    return [(e.title, e.date, e.slug) for e in ready]


def _station_artwork(station: StationSettings) -> Upload | None:
    """The station's artwork at the store's root (no prefix holds a dot, so no clash)."""
    if not station.station.image:
        return None
    path = station.root / station.station.image
    info = inspect_image(path)
    sha = file_sha256(path)
    return Upload(
        path=path,
        key=f"station-{sha[:12]}{info.suffix.lower()}",
        content_type=info.mime,
        cache_control=IMMUTABLE,
        size_bytes=path.stat().st_size,
        sha256=sha,
    )


def _feed_is_live(storage: Storage, settings: Settings) -> bool:
    key = f"{settings.show.prefix}/{FEED_KEY}"
    return key in storage.list(key)


def _is_current(storage: Storage, upload: Upload, work: Path) -> bool:
    """Compare with the stored object: presence and size, then (if mutable) its bytes."""
    info = storage.list(upload.key).get(upload.key)
    if info is None or info.size_bytes != upload.size_bytes:
        return False
    if upload.cache_control == IMMUTABLE:
        return True  # content-addressed key
    copy = work / f".live-{hashlib.sha256(upload.key.encode()).hexdigest()[:8]}"
    try:
        storage.download(upload.key, copy)
    except StorageError:
        return False
    return file_sha256(copy) == upload.sha256


def _type(key: str) -> str:
    return OPML_TYPE if key == OPML_KEY else site.SITE_TYPES[Path(key).suffix]


def _written(work: Path, key: str, data: bytes, content_type: str) -> Upload:
    path = work / key
    path.write_bytes(data)
    return Upload(
        path=path,
        key=key,
        content_type=content_type,
        cache_control=SHORT,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
