"""Every image a feed names, fetched whole and judged by the artwork rules `add` and `init` apply.

Apple's rule A06 (artwork.py): JPEG or PNG matching its extension, square, 1400-3000 px, RGB.
Reachability, types and ranges are urls.py's: an image that cannot be fetched is left to it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from radiodesk.check.archive import read_document
from radiodesk.check.base import NS, Findings, Problem
from radiodesk.check.urls import BodyTooLargeError, Fetcher
from radiodesk.show.artwork import check_artwork_bytes
from radiodesk.spec import is_http_url

# A 3000 px PNG of a photograph runs to about 15 MB; nothing Apple accepts is larger.
MAX_IMAGE_BYTES = 30_000_000


def check_images(feeds: Mapping[str, bytes], *, fetch: Fetcher, workers: int = 4) -> list[Problem]:
    """Fetch each image the feeds name (once) and report every one that breaks rule A06."""
    found: dict[str, str] = {}  # URL -> the first place that names it
    for name, xml in feeds.items():
        document = read_document(xml, name, Findings())  # check_feeds reports the XML's faults
        if document is None:
            continue
        for where, url in _images(document.channel, f"{name} channel"):
            found.setdefault(url, where)
        for entry, item in document.items:
            for where, url in _images(item, entry.where):
                found.setdefault(url, where)
    targets = list(found.items())
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets)))) as pool:
        results = pool.map(lambda t: _check_image(t[0], t[1], fetch), targets)
        return [problem for problem in results if problem is not None]


def _images(parent: ET.Element, where: str) -> Iterator[tuple[str, str]]:
    """Yield (where, URL) of every image a channel or item names, http(s) ones only."""
    urls = [
        *(image.get("href", "") for image in parent.findall("itunes:image", NS)),
        *(url.text or "" for url in parent.findall("image/url")),
        *(image.get("href", "") for image in parent.findall("podcast:image", NS)),
        *(
            candidate.split()[0]
            for images in parent.findall("podcast:images", NS)
            for candidate in images.get("srcset", "").split(",")
            if candidate.strip()
        ),
    ]
    yield from ((where, url.strip()) for url in urls if is_http_url(url.strip()))


def _check_image(url: str, where: str, fetch: Fetcher) -> Problem | None:
    """Fetch one image and say, in one line, everything rule A06 finds wrong with it."""
    try:
        answer = fetch.get(url, MAX_IMAGE_BYTES)
    except BodyTooLargeError as exc:
        return Problem(level="error", where=where, message=f"image {url} cannot be checked: {exc}")
    except OSError:
        return None  # check_urls reports an image that cannot be reached
    if answer.status != 200:
        return None  # likewise an image that is not there
    suffix = PurePosixPath(urlsplit(url).path).suffix
    problems = check_artwork_bytes(answer.body, suffix)
    if not problems:
        return None
    return Problem(level="error", where=where, message=f"image {url} {'; '.join(problems)}")
