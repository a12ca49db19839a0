"""Validate a published show as listeners' apps see it: the feed XML, its URLs, the audio.

    archive.py     check_feed, check_feeds: XML, size, guid uniqueness and stability, paging
    apple.py       Apple's rules for the channel and each item
    podcasting.py  Podcasting 2.0 tags, well-formed where present
    urls.py        check_urls: HEAD and Range for every URL, through a Fetcher; read_feed
    images.py      check_images: every image the feeds name, fetched and judged as artwork
    loudness.py    check_loudness: measured loudness against the show's target
    station.py     check_opml, check_page: a station's OPML and page against its programmes
    base.py        Problem and the one-line-per-problem report

Checks return Problems and never raise for a fault they find, print or exit. Feeds are parsed
with the standard library; station.py uses lxml, for the page is HTML, not XML.
"""

from __future__ import annotations

from radiodesk.check.archive import check_feed, check_feeds
from radiodesk.check.base import Level, Problem, format_report, has_errors, summary
from radiodesk.check.images import check_images
from radiodesk.check.loudness import check_loudness
from radiodesk.check.urls import Fetcher, Response, check_urls, http_fetcher, read_feed

__all__ = [
    "Fetcher",
    "Level",
    "Problem",
    "Response",
    "check_feed",
    "check_feeds",
    "check_images",
    "check_loudness",
    "check_urls",
    "format_report",
    "has_errors",
    "http_fetcher",
    "read_feed",
    "summary",
]
