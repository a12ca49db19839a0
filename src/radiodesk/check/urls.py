"""Ask for every URL a feed points at the way podcast apps and Apple do: HEAD, then a Range GET.

Rule A15: 2xx, the right Content-Type, Content-Length (the enclosure's exact length), and 206
with Content-Range for bytes=0-1. Requests go through a Fetcher, so tests can use any server.
"""

from __future__ import annotations

import http.client
import re
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from radiodesk import __version__
from radiodesk.check.archive import Document, read_document
from radiodesk.check.base import NS, WHOLE_RE, Findings, Problem
from radiodesk.errors import FeedError
from radiodesk.spec import CHAPTERS_TYPE, is_http_url

MAX_REDIRECTS = 5
MAX_FEED_DOWNLOAD_BYTES = 20_000_000  # four times what any validator accepts
FEED_TYPES = ("application/rss+xml", "application/xml", "text/xml")
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}  # rule A06
# Content-Types a server may send for a type the feed declares: one format, several names.
SAME_TYPES: dict[str, tuple[str, ...]] = {
    "audio/x-m4a": ("audio/x-m4a", "audio/mp4", "audio/m4a"),
    "audio/mp4": ("audio/mp4", "audio/x-m4a", "audio/m4a"),
    "application/x-subrip": ("application/x-subrip", "application/srt", "text/srt"),
    CHAPTERS_TYPE: (CHAPTERS_TYPE, "application/json"),
}
_CONTENT_RANGE_RE = re.compile(r"^bytes 0-1/([0-9]+|\*)$")
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """What a server answered: status and headers (lower-case names), after redirects."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    body: bytes = b""  # read only by read_feed


class BodyTooLargeError(OSError):
    """A response body longer than the reader was willing to take."""


class Fetcher(Protocol):
    """Makes the requests podcast apps make; raises OSError when a URL cannot be reached."""

    def head(self, url: str) -> Response:
        """Send HEAD and return the final response."""
        ...

    def get_range(self, url: str, first: int, last: int) -> Response:
        """Send GET with Range: bytes=first-last and return the final response."""
        ...

    def get(self, url: str, max_bytes: int) -> Response:
        """Send GET and return the final response with its body, if it is 200."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One URL to ask for, where it was named, and what a good answer looks like."""

    where: str
    what: str
    url: str
    types: tuple[str, ...]
    length: int | None = None


def check_urls(
    xml: bytes, *, fetch: Fetcher, name: str = "feed.xml", workers: int = 8
) -> list[Problem]:
    """Check the feed's own URL and every enclosure, image, transcript and chapters URL in it."""
    document = read_document(xml, name, Findings())  # check_feed reports the XML's faults
    if document is None:
        found = Findings()
        found.error(name, "cannot be parsed, so its URLs were not checked")
        return found.problems
    return check_targets(_targets(document), fetch=fetch, workers=workers)


def check_targets(targets: Sequence[Target], *, fetch: Fetcher, workers: int = 8) -> list[Problem]:
    """Ask for each target as apps do (HEAD, then a Range GET); problems in the targets' order."""
    if workers <= 1 or len(targets) <= 1:
        results = [_check_target(target, fetch) for target in targets]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda target: _check_target(target, fetch), targets))
    return [problem for result in results for problem in result]


def _targets(document: Document) -> list[Target]:
    """Return each URL once, with the first place that names it (artwork is often shared)."""
    where = f"{document.name} channel"
    self_url = document.links.get("self", "")
    targets = [
        Target(where=where, what="feed", url=self_url, types=FEED_TYPES),
        *_image_target(document.channel, where),
    ]
    for entry, item in document.items:
        targets += _item_targets(item, entry.where)
    unique: dict[str, Target] = {}
    for target in targets:
        if is_http_url(target.url):  # check_feed reports the others
            unique.setdefault(target.url, target)
    return list(unique.values())


def _image_target(parent: ET.Element, where: str) -> list[Target]:
    image = parent.find("itunes:image", NS)
    url = image.get("href", "") if image is not None else ""
    mime = IMAGE_TYPES.get(PurePosixPath(urlsplit(url).path).suffix.lower())
    return [Target(where=where, what="image", url=url, types=(mime,))] if mime else []


def _item_targets(item: ET.Element, where: str) -> list[Target]:
    targets = _image_target(item, where)
    enclosure = item.find("enclosure")
    if enclosure is not None:
        length, mime = enclosure.get("length", ""), enclosure.get("type", "")
        targets.append(
            Target(
                where=where,
                what="enclosure",
                url=enclosure.get("url", ""),
                types=SAME_TYPES.get(mime, (mime,)),
                length=int(length) if WHOLE_RE.match(length) else None,
            )
        )
    for tag, what in (("podcast:transcript", "transcript"), ("podcast:chapters", "chapters")):
        for link in item.findall(tag, NS):
            mime = link.get("type", "")
            types = SAME_TYPES.get(mime, (mime,))
            targets.append(Target(where=where, what=what, url=link.get("url", ""), types=types))
    return targets


def _check_target(target: Target, fetch: Fetcher) -> list[Problem]:
    found = Findings()
    label, where = f"{target.what} {target.url}", target.where
    try:
        head = fetch.head(target.url)
    except OSError as exc:
        found.error(where, f"{label} cannot be reached: {exc}")
        return found.problems
    if not 200 <= head.status < 300:
        found.error(where, f"{label} answered HEAD with {head.status}")
        return found.problems
    mime = head.headers.get("content-type", "").split(";")[0].strip().lower()
    if target.types[0] and mime not in target.types:
        found.error(where, f"{label} is served as {mime or 'no type'!r}, not {target.types[0]}")
    size = head.headers.get("content-length", "")
    if not WHOLE_RE.match(size):
        found.error(where, f"{label} sends no Content-Length to HEAD")
    elif target.length is not None and int(size) != target.length:
        found.error(where, f"{label} is {size} bytes, but the feed says {target.length}")
    total = int(size) if WHOLE_RE.match(size) else target.length
    _check_range(target, fetch, total, found)
    return found.problems


def _check_range(target: Target, fetch: Fetcher, total: int | None, found: Findings) -> None:
    label, where = f"{target.what} {target.url}", target.where
    try:
        answer = fetch.get_range(target.url, 0, 1)
    except OSError as exc:
        found.error(where, f"{label} fails a Range request: {exc}")
        return
    if answer.status != 206:
        why = "ignores Range" if answer.status == 200 else "answers Range"
        found.error(where, f"{label} {why} with {answer.status}, not 206; apps cannot seek")
        return
    content_range = answer.headers.get("content-range", "")
    match = _CONTENT_RANGE_RE.match(content_range)
    if not match:
        found.error(where, f"{label} answers Range with Content-Range {content_range!r}")
    elif total is not None and match[1] != str(total):
        found.error(where, f"{label} Content-Range {content_range!r} disagrees with {total} bytes")


def read_feed(url: str, *, timeout_s: float = 10.0) -> bytes | None:
    """Return the feed published at url, as apps get it; None if there is none yet (404, 410)."""
    try:
        answer = _HttpFetcher(timeout_s=timeout_s).get(url, MAX_FEED_DOWNLOAD_BYTES)
    except OSError as exc:
        raise FeedError(
            f"cannot read the live feed {url}: {exc}", hint="check the store's public URL"
        ) from exc
    if answer.status in (404, 410):
        return None
    if answer.status != 200:
        raise FeedError(
            f"the live feed {url} answered {answer.status}",
            hint="apps send no credentials: the feed must be public (Apple rule A03)",
        )
    return answer.body


def http_fetcher(timeout_s: float = 10.0) -> Fetcher:
    """Return a Fetcher on http.client that follows redirects and reads a body only for get."""
    return _HttpFetcher(timeout_s=timeout_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class _HttpFetcher:
    timeout_s: float

    def head(self, url: str) -> Response:
        """Send HEAD and return the final response."""
        return self._request("HEAD", url, {})

    def get_range(self, url: str, first: int, last: int) -> Response:
        """Send GET with Range: bytes=first-last and return the final response."""
        return self._request("GET", url, {"Range": f"bytes={first}-{last}"})

    def get(self, url: str, max_bytes: int) -> Response:
        """Send GET and return the final response with its body, if it is 200."""
        return self._request("GET", url, {}, max_bytes)

    def _request(
        self, method: str, url: str, headers: dict[str, str], max_bytes: int = 0
    ) -> Response:
        # urllib turns a redirected HEAD into a GET; http.client does exactly what it is told.
        sent = {"User-Agent": f"radiodesk-check/{__version__}", "Accept-Encoding": "identity"}
        for _ in range(MAX_REDIRECTS + 1):
            response = _send(method, url, {**sent, **headers}, self.timeout_s, max_bytes)
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or not location:
                return response
            url = urljoin(url, location)
        raise OSError(f"more than {MAX_REDIRECTS} redirects")


def _send(
    method: str, url: str, headers: dict[str, str], timeout_s: float, max_bytes: int
) -> Response:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OSError(f"{url!r} is not an http(s) URL")
    connect: Callable[..., http.client.HTTPConnection] = http.client.HTTPConnection
    extra = {}
    if parts.scheme == "https":
        connect, extra = http.client.HTTPSConnection, {"context": ssl.create_default_context()}
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection = connect(parts.hostname, parts.port, timeout=timeout_s, **extra)
    except ValueError as exc:  # a port that is not a number
        raise OSError(f"{url!r} has a bad port") from exc
    try:
        connection.request(method, target, headers=headers)
        answer = connection.getresponse()
        found = {name.lower(): value for name, value in answer.getheaders()}
        # Only read_feed reads a body; for media, closing the connection drops it unread.
        body = answer.read(max_bytes + 1) if max_bytes and answer.status == 200 else b""
        if len(body) > max_bytes:
            raise BodyTooLargeError(f"it is larger than {max_bytes:,} bytes")
        return Response(status=answer.status, headers=found, url=url, body=body)
    except (http.client.HTTPException, ValueError) as exc:  # ValueError: a non-ASCII URL
        raise OSError(f"bad HTTP exchange: {exc!r}") from exc
    finally:
        connection.close()
