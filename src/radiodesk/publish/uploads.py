"""What the store should hold (Upload; one episode's EpisodeMedia), and rendered pages and feeds
as Uploads, unchanged ones left unrendered. Writes only into the work folder and the stat cache;
never talks to a store and never reads the catalog.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from radiodesk.publish import feed_model, site, site_model
from radiodesk.publish.feed_model import FEED_KEY
from radiodesk.publish.feed_writer import build_feeds
from radiodesk.publish.storage import SHORT
from radiodesk.show.chapters import Chapter
from radiodesk.show.episode import Soundbite
from radiodesk.show.settings import Settings
from radiodesk.show.statcache import StatCache
from radiodesk.show.transcripts import Transcript

FEED_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One file that the store should hold."""

    path: Path
    key: str
    content_type: str
    cache_control: str
    size_bytes: int
    sha256: str
    data: bytes | None = None  # rendered content, written to `path` only if it is uploaded
    render: Callable[[], bytes] | None = None  # or how to render it (a page known unchanged)

    def materialize(self) -> Path:
        """Return `path`, writing rendered content there first (most pages are never sent)."""
        if self.data is not None or self.render is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(self.read())
        return self.path

    def read(self) -> bytes:
        """Return the content."""
        if self.data is not None:
            return self.data
        return self.render() if self.render is not None else self.path.read_bytes()


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeMedia:
    """The objects one episode needs, and what the feed and page say about them."""

    folder: Path  # the episode's own
    audio: Upload
    image: Upload | None
    chapters: tuple[Chapter, ...]
    chapters_file: Upload | None
    transcript: Transcript | None
    transcript_file: Upload | None
    soundbites: tuple[tuple[Soundbite, Upload], ...] = ()  # each with its MP3 clip
    provenance_file: Upload | None = None  # what was done to the audio, beside the MP3


def feed_pages(
    settings: Settings, channel: feed_model.Channel, items: Sequence[feed_model.Item]
) -> list[site_model.Page]:
    """Return the feed documents as pages: fingerprinted now, rendered (all at once) if needed."""
    page_size = settings.show.feed_page_size or None
    rendered: dict[str, bytes] = {}

    def render(key: str) -> bytes:
        if not rendered:
            rendered.update(build_feeds(channel, items, page_size=page_size, feed_key=FEED_KEY))
        return rendered[key]

    print_ = site.digest(repr(channel), repr(items), repr(page_size))
    count = 1 if not page_size or len(items) <= page_size else -(-len(items) // page_size)
    keys = [FEED_KEY, *(feed_model.page_key(FEED_KEY, n) for n in range(2, count + 1))]
    return [site_model.Page(key, print_, functools.partial(render, key)) for key in keys]


def page_uploads(
    root: Path,
    work: Path,
    name: str,
    pages: Sequence[site_model.Page],
    reuse: bool,
    *,
    forget: bool = True,
) -> list[Upload]:
    """Render the pages whose fingerprint is new; the others are rendered only if uploaded.

    `forget` drops what is remembered of pages not given (a whole show was built).
    """
    # key -> [fingerprint, sha256, size]; no files to stamp. Not reusing, it is left alone.
    known = StatCache(root, name)
    uploads = []
    for page in sorted(pages, key=lambda p: p.key):
        content_type = FEED_TYPE if name == "feeds" else site.SITE_TYPES[Path(page.key).suffix]
        entry = known.get(page.key, []) if reuse else None
        if isinstance(entry, list) and len(entry) == 3 and entry[0] == page.fingerprint:
            upload = Upload(
                path=work / page.key,
                key=page.key,
                content_type=content_type,
                cache_control=SHORT,
                size_bytes=int(entry[2]),
                sha256=str(entry[1]),
                render=page.render,
            )
        else:
            upload = written(work, page.key, page.render(), content_type, SHORT)
            if reuse:
                known.put(page.key, [], [page.fingerprint, upload.sha256, upload.size_bytes])
        uploads.append(upload)
    if forget and reuse:
        known.keep_only({p.key for p in pages})
    known.save()
    return uploads


def written(work: Path, key: str, data: bytes, content_type: str, cache_control: str) -> Upload:
    """Describe rendered content; it is written under `work` only when it is uploaded."""
    return Upload(
        path=work / key,
        key=key,
        content_type=content_type,
        cache_control=cache_control,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
