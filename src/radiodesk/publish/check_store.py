"""`radiodesk check`: the published show (or station page) as listeners' apps see it.

Reads the feed pages from the store, checks their XML, fetches every URL in them through a
Fetcher (every image whole, to judge it as artwork), and meters every published MP3 with an
independent ebur128 pass; for a station, its page and OPML. Changes nothing.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from radiodesk import check
from radiodesk.audio import ffmpeg
from radiodesk.audio.ffmpeg_args import file_url
from radiodesk.audio.ffmpeg_output import parse_ebur128
from radiodesk.check.station import check_opml, check_page
from radiodesk.publish import site, station
from radiodesk.publish.feed_model import FEED_KEY
from radiodesk.publish.storage import Storage
from radiodesk.show import episode_file, folders
from radiodesk.show.settings import Settings

_PAGE_RE = re.compile(r"^feed-(\d+)\.xml$")
METER = "ebur128=peak=true:framelog=verbose"


@dataclass(frozen=True, slots=True)
class RewritingFetcher:
    """A Fetcher that sends requests for public URLs to another base (a local preview)."""

    inner: check.Fetcher
    public_base: str
    actual_base: str

    def head(self, url: str) -> check.Response:
        """HEAD the rewritten URL."""
        return self.inner.head(self._map(url))

    def get_range(self, url: str, first: int, last: int) -> check.Response:
        """GET a byte range of the rewritten URL."""
        return self.inner.get_range(self._map(url), first, last)

    def get(self, url: str, max_bytes: int) -> check.Response:
        """GET the whole rewritten URL."""
        return self.inner.get(self._map(url), max_bytes)

    def _map(self, url: str) -> str:
        prefix = self.public_base.rstrip("/") + "/"
        return (
            self.actual_base.rstrip("/") + "/" + url[len(prefix) :]
            if url.startswith(prefix)
            else url
        )


def audit(
    settings: Settings, storage: Storage, *, fetch: check.Fetcher, now: datetime
) -> list[check.Problem]:
    """Check the feed pages, every URL in them, and the loudness of every published MP3."""
    listing = storage.list()
    if FEED_KEY not in listing:
        return [
            check.Problem(
                level="error", where=FEED_KEY, message="is not published yet: run radiodesk publish"
            )
        ]
    pages = sorted((k for k in listing if _PAGE_RE.match(k)), key=_page_number)
    with tempfile.TemporaryDirectory(prefix="radiodesk-check-") as tmp:
        work = Path(tmp)
        feeds = {key: _fetch(storage, key, work).read_bytes() for key in (FEED_KEY, *pages)}
        problems = check.check_feeds(feeds, now=now)
        for key, xml in feeds.items():
            problems += check.check_urls(xml, fetch=fetch, name=key)
        problems += check.check_images(feeds, fetch=fetch)
        for episode in episode_file.load_episodes(settings.root):
            if episode.audio is None or folders.audio_key(episode) not in listing:
                continue
            integrated, peak = measure(_fetch(storage, folders.audio_key(episode), work))
            problems += check.check_loudness(
                [(episode.slug, integrated, peak)],
                target_lufs=episode.audio.target_lufs,
                tolerance_lu=settings.audio.tolerance_lu,
                ceiling_dbtp=settings.audio.true_peak_dbtp,
            )
    return problems


def audit_station(
    storage: Storage, programmes: Sequence[station.Programme], *, fetch: check.Fetcher
) -> list[check.Problem]:
    """Check the station page and its OPML in the station's store against its live programmes.

    With a programme that cannot be read, which programmes are live is unknown: then only the
    documents themselves and their URLs are checked.
    """
    broken = [p.name for p in programmes if p.settings is None]
    readable = [p.settings for p in programmes if p.settings is not None]
    listed = None if broken else station.live_listings(storage, readable)
    problems = []
    if broken:
        why = f"not compared with the programmes: fix {', '.join(broken)}"
        problems.append(check.Problem(level="warning", where=site.INDEX_KEY, message=why))
    with tempfile.TemporaryDirectory(prefix="radiodesk-check-") as tmp:
        for key in (site.INDEX_KEY, station.OPML_KEY):
            if key not in storage.list(key):
                why = "is not published yet: run radiodesk publish"
                problems.append(check.Problem(level="error", where=key, message=why))
                continue
            data = _fetch(storage, key, Path(tmp)).read_bytes()
            if key == station.OPML_KEY:
                problems += check_opml(data, listed, fetch=fetch, name=key)
            else:
                problems += check_page(data, storage.url(key), listed, fetch=fetch, name=key)
    return problems


def measure(path: Path) -> tuple[float, float]:
    """Return (integrated LUFS, true peak dBTP) of a file, metered by ffmpeg's ebur128."""
    done = ffmpeg.run(
        ["-i", file_url(path), "-map", "0:a:0", "-af", METER, "-f", "null", "-"],
        timeout_s=3600.0,
    )
    summary = parse_ebur128(done.stderr)
    if summary is None:
        return float("nan"), float("nan")
    peak = summary.true_peak_dbtp if summary.true_peak_dbtp is not None else float("nan")
    return summary.integrated_lufs, peak


def _fetch(storage: Storage, key: str, work: Path) -> Path:
    path = work / key.replace("/", "_")
    storage.download(key, path)
    return path


def _page_number(key: str) -> int:
    match = _PAGE_RE.match(key)
    return int(match.group(1)) if match else 0


__all__: Sequence[str] = ("RewritingFetcher", "audit", "audit_station", "measure")
