"""Apple's rules for a podcast feed (A01-A17 in the project's feed rules), judged from the XML.

Also the recommendations apps act on: duration, author, owner e-mail, text lengths.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from radiodesk.check.base import NS, WHOLE_RE, Findings, text
from radiodesk.spec import (
    APPLE_CATEGORIES,
    ENCLOSURE_TYPES,
    EPISODE_TYPES,
    IMAGE_SUFFIXES,
    LANGUAGE_RE,
    MAX_DESCRIPTION_BYTES,
    SHOW_TYPES,
    is_email,
    is_http_url,
)

MAX_TEXT_CHARS = 255  # Apple: text values
MIN_ENCLOSURE_BYTES = 16_384  # AntennaPod treats a smaller enclosure length as unknown
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# Rule A14: RFC 2822 with English names and a zone, as email.utils.format_datetime writes it.
_RFC2822_RE = re.compile(
    rf"^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{{1,2}} (?:{_MONTHS}) \d{{4}} "
    r"\d\d:\d\d(?::\d\d)? (?:[+-]\d{4}|UT|GMT|Z|[ECMP][SD]T)$"
)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DURATION_RE = re.compile(r"^(?:\d+|\d+:[0-5]\d|\d+:[0-5]\d:[0-5]\d)(?:\.\d+)?$", re.ASCII)
_RECOMMENDED = (
    ("itunes:author", "Apple shows it under the title"),
    ("link", "apps link to the show's web page"),
    ("itunes:owner/itunes:name", "directories name the show's owner by it"),
    ("itunes:owner/itunes:email", "Spotify and YouTube mail their ownership code to it"),
)


def check_channel(channel: ET.Element, where: str, found: Findings) -> None:
    """Check the channel's required tags (A04-A09) and the recommended ones."""
    if not text(channel, "title"):
        found.error(where, "title is empty")  # A04
    description_bytes = len(text(channel, "description").encode("utf-8"))
    if not description_bytes:
        found.error(where, "description is empty")  # A05
    elif description_bytes > MAX_DESCRIPTION_BYTES:
        found.error(where, f"description is {description_bytes} bytes; Apple allows 4000")
    language = text(channel, "language")
    if not LANGUAGE_RE.match(language):
        found.error(where, f"language {language!r} is not an ISO 639 code like ru or en-us")
    image = channel.find("itunes:image", NS)
    if image is None:
        found.error(where, "has no itunes:image (Apple needs square artwork of 1400-3000 px)")
    else:
        _check_image(image.get("href", ""), where, found)
    _check_categories(channel.findall("itunes:category", NS), where, found)
    _check_explicit(channel.find("itunes:explicit", NS), where, found, required=True)
    _check_choice(channel, "itunes:type", SHOW_TYPES, where, found)
    _check_recommended(channel, where, found)
    _check_long_text(channel, ("title", "itunes:author"), where, found)


def check_item(
    item: ET.Element, where: str, show_type: str, found: Findings, now: datetime | None
) -> None:
    """Check one item: title, guid, enclosure, date (A10-A14, A17) and its itunes tags."""
    if not text(item, "title"):
        found.error(where, "title is empty")  # A10
    guid, link = item.findtext("guid", default=""), text(item, "link")
    if not guid.strip():
        found.error(where, "has no guid; apps will invent one and may show it twice")
    elif guid != guid.strip():  # apps that trim it and apps that do not see two episodes
        found.lapse(where, f"guid {guid!r} starts or ends with whitespace")
    if link and not is_http_url(link):
        found.lapse(where, f"link {link!r} is not an absolute http(s) URL")
    _check_enclosures(item.findall("enclosure"), where, found)
    _check_date(text(item, "pubDate"), where, found, now)
    duration = text(item, "itunes:duration")
    if not duration:
        found.warning(where, "has no itunes:duration")
    elif not _DURATION_RE.match(duration):
        found.error(where, f"itunes:duration {duration!r} is not seconds or H:MM:SS")
    _check_explicit(item.find("itunes:explicit", NS), where, found, required=False)
    _check_choice(item, "itunes:episodeType", EPISODE_TYPES, where, found)
    for tag in ("itunes:season", "itunes:episode"):
        value = text(item, tag)
        if item.find(tag, NS) is not None and not (WHOLE_RE.match(value) and int(value) > 0):
            found.error(where, f"{tag} {value!r} is not a positive whole number")
    if show_type == "serial" and item.find("itunes:episode", NS) is None:
        found.error(where, "has no itunes:episode; a serial show needs one on every item")  # A17
    image = item.find("itunes:image", NS)
    if image is not None:
        _check_image(image.get("href", ""), where, found)
    description_bytes = len(text(item, "description").encode("utf-8"))
    if description_bytes > MAX_DESCRIPTION_BYTES:
        found.warning(where, f"description is {description_bytes} bytes; Apple shows 4000")
    _check_long_text(item, ("title",), where, found)


def _check_recommended(channel: ET.Element, where: str, found: Findings) -> None:
    for path, why in _RECOMMENDED:
        if not text(channel, path):
            found.lapse(where, f"has no {path}; {why}")
    link, email = text(channel, "link"), text(channel, "itunes:owner/itunes:email")
    if link and not is_http_url(link):
        found.lapse(where, f"link {link!r} is not an absolute http(s) URL")
    if email and not is_email(email):
        found.lapse(where, f"itunes:owner/itunes:email {email!r} is not an e-mail address")
    for flag in ("itunes:block", "itunes:complete"):
        value = text(channel, flag)
        if value and value != "Yes":
            found.warning(where, f"{flag} {value!r} does nothing; Apple reads only Yes")
    if text(channel, "itunes:block") == "Yes":
        found.warning(where, "itunes:block Yes hides the whole show from Apple Podcasts")
    moved = text(channel, "itunes:new-feed-url")
    if moved and not is_http_url(moved):
        found.error(where, f"itunes:new-feed-url {moved!r} is not an absolute http(s) URL")
    elif moved:
        found.warning(where, f"itunes:new-feed-url sends every subscriber to {moved}")


def _check_categories(categories: list[ET.Element], where: str, found: Findings) -> None:
    """Rule A08: Apple's spelling and case; a subcategory only under its parent."""
    if not categories:
        found.error(where, "has no itunes:category")
    for category in categories:
        parent = category.get("text", "")
        if parent not in APPLE_CATEGORIES:
            found.error(where, f"category {parent!r} is not one of Apple's categories")
            continue
        for sub in category.findall("itunes:category", NS):
            if sub.get("text", "") not in APPLE_CATEGORIES[parent]:
                found.error(where, f"subcategory {sub.get('text', '')!r} is not under {parent!r}")


def _check_explicit(
    element: ET.Element | None, where: str, found: Findings, *, required: bool
) -> None:
    """Rule A09: true or false, never yes, no or clean."""
    if element is None:
        if required:
            found.error(where, "has no itunes:explicit (Apple needs true or false)")
        return
    value = (element.text or "").strip()
    if value not in ("true", "false"):
        found.error(where, f"itunes:explicit {value!r} must be true or false")


def _check_enclosures(enclosures: list[ET.Element], where: str, found: Findings) -> None:
    """Rules A11 and A16: one enclosure, absolute ASCII URL, length in bytes, accepted type."""
    if not enclosures:
        found.error(where, "has no enclosure")
        return
    if len(enclosures) > 1:
        found.error(where, f"has {len(enclosures)} enclosures; apps play only one")
    url, length = enclosures[0].get("url", ""), enclosures[0].get("length", "")
    if not is_http_url(url):
        found.error(where, f"enclosure URL {url!r} is not an absolute ASCII http(s) URL")
    if not WHOLE_RE.match(length) or int(length) == 0:
        found.error(where, f"enclosure length {length or 'missing'} is not a byte count")
    elif int(length) < MIN_ENCLOSURE_BYTES:
        found.warning(where, f"enclosure length {length} is so small AntennaPod ignores it")
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    accepted, mime = ENCLOSURE_TYPES.get(suffix), enclosures[0].get("type", "")
    if accepted is None:
        found.error(where, f"enclosure {suffix or 'without extension'} is not a type Apple plays")
    elif mime not in accepted:
        found.error(where, f"enclosure type {mime!r} does not match {suffix} ({accepted[0]})")


def _check_date(value: str, where: str, found: Findings, now: datetime | None) -> None:
    if not value:
        found.warning(where, "has no pubDate; apps cannot order it")
        return
    try:
        when = parsedate_to_datetime(value) if _RFC2822_RE.match(value) else None
    except ValueError:  # 31 Feb
        when = None
    if when is None:
        found.error(where, f"pubDate {value!r} is not an RFC 2822 date (Sun, 01 Mar 2026 ...)")
        return
    if value[:3] in _WEEKDAYS and value[:3] != _WEEKDAYS[when.weekday()]:
        found.warning(where, f"pubDate {value!r} names the wrong weekday")
    aware = now is not None and now.utcoffset() is not None and when.utcoffset() is not None
    if aware and now is not None and when > now:
        found.warning(where, f"pubDate {value!r} is in the future; AntennaPod hides it until then")


def _check_choice(
    parent: ET.Element, tag: str, choices: Sequence[str], where: str, found: Findings
) -> None:
    value = text(parent, tag)
    if parent.find(tag, NS) is not None and value not in choices:
        found.error(where, f"{tag} {value!r} is not one of {', '.join(choices)}")


def _check_image(url: str, where: str, found: Findings) -> None:
    """Rule A06, as far as the XML tells: an absolute URL of a .jpg or .png file."""
    if not is_http_url(url):
        found.error(where, f"itunes:image {url!r} is not an absolute ASCII http(s) URL")
    elif not urlsplit(url).path.lower().endswith(IMAGE_SUFFIXES):
        found.error(where, f"itunes:image {url!r} is not a .jpg or .png file")


def _check_long_text(parent: ET.Element, paths: Sequence[str], where: str, found: Findings) -> None:
    for path in paths:
        raw = parent.findtext(path, default="", namespaces=NS)
        if len(raw.strip()) > MAX_TEXT_CHARS:
            found.warning(where, f"{path} is {len(raw.strip())} characters; Apple cuts at 255")
        if raw != raw.strip():
            found.warning(where, f"{path} starts or ends with whitespace")
