"""Podcasting 2.0 tags (https://podcastindex.org/namespace/1.0): present ones must be well-formed.

Missing ones are never a problem: every tag of the namespace is optional.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from radiodesk.check.base import NS, WHOLE_RE, Findings, text
from radiodesk.spec import (
    CHAPTERS_TYPE,
    COUNTRY_RE,
    EMAIL_RE,
    GEO_RE,
    LANGUAGE_RE,
    LOCATION_RELS,
    MAX_SOUNDBITE_TITLE,
    MEDIUMS,
    OSM_RE,
    TRANSCRIPT_TYPES,
    UUID_RE,
    is_http_url,
)

MAX_TEXT_CHARS = 128  # longer values "may be truncated by aggregators"
SOUNDBITE_S = (15.0, 120.0)  # namespace 1.0, soundbite: the recommended duration
DURATION_SLACK_S = 0.5  # itunes:duration is written rounded to the second
# The "list" variants of each medium, and the two list-only mediums (namespace 1.0, medium).
KNOWN_MEDIUMS = (*MEDIUMS, *(medium + "L" for medium in MEDIUMS), "publisher", "mixed")
_DECIMAL_RE = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")


def check_channel(channel: ET.Element, where: str, found: Findings) -> None:
    """Check guid, locked, medium, funding, person and location on the channel."""
    _check_single(channel, ("podcast:guid", "podcast:locked", "podcast:medium"), where, found)
    guid = text(channel, "podcast:guid")
    if channel.find("podcast:guid", NS) is not None:
        if not UUID_RE.match(guid):
            found.error(where, f"podcast:guid {guid!r} is not a UUID")
        elif uuid.UUID(guid).version != 5:
            found.warning(where, f"podcast:guid {guid} is not the UUIDv5 the namespace asks for")
    locked = channel.find("podcast:locked", NS)
    if locked is not None:
        if text(channel, "podcast:locked") not in ("yes", "no"):
            found.error(where, f"podcast:locked {locked.text!r} must be yes or no")
        owner = locked.get("owner")
        if owner is not None and not EMAIL_RE.match(owner):
            found.lapse(where, f"podcast:locked owner {owner!r} is not an e-mail address")
    medium = text(channel, "podcast:medium")
    if channel.find("podcast:medium", NS) is not None and medium not in KNOWN_MEDIUMS:
        found.error(where, f"podcast:medium {medium!r} is not a medium the namespace lists")
    for funding in channel.findall("podcast:funding", NS):
        _check_url(funding, "podcast:funding", where, found)
        _check_text(funding, "podcast:funding", where, found, required=False)
    _check_persons_and_locations(channel, where, found)


def check_item(item: ET.Element, where: str, found: Findings) -> None:
    """Check season, episode, transcripts, chapters, soundbites, person and location on one item."""
    _check_single(item, ("podcast:season", "podcast:episode", "podcast:chapters"), where, found)
    season = item.find("podcast:season", NS)
    if season is not None and not WHOLE_RE.match(text(item, "podcast:season")):
        found.error(where, f"podcast:season {season.text!r} is not a whole number")
    if season is not None and season.get("name") is not None and not season.get("name", "").strip():
        found.lapse(where, "podcast:season name is empty")
    episode = item.find("podcast:episode", NS)
    if episode is not None and not _DECIMAL_RE.match(text(item, "podcast:episode")):
        found.error(where, f"podcast:episode {episode.text!r} is not a number")
    for transcript in item.findall("podcast:transcript", NS):
        _check_typed_link(transcript, "podcast:transcript", TRANSCRIPT_TYPES, where, found)
        language, rel = transcript.get("language"), transcript.get("rel")
        if language is not None and not LANGUAGE_RE.match(language):
            found.lapse(where, f"podcast:transcript language {language!r} is not a code")
        if rel is not None and rel != "captions":
            found.lapse(where, f"podcast:transcript rel {rel!r} means nothing; use captions")
    for chapters in item.findall("podcast:chapters", NS):
        _check_typed_link(chapters, "podcast:chapters", (CHAPTERS_TYPE,), where, found)
    _check_soundbites(item, where, found)
    _check_persons_and_locations(item, where, found)


def _check_soundbites(item: ET.Element, where: str, found: Findings) -> None:
    """Each soundbite needs decimal startTime and duration and must lie within the episode."""
    length = text(item, "itunes:duration")
    episode_s = _seconds(length)
    low, high = SOUNDBITE_S
    for soundbite in item.findall("podcast:soundbite", NS):
        start, duration = soundbite.get("startTime", ""), soundbite.get("duration", "")
        if not (_DECIMAL_RE.match(start) and _DECIMAL_RE.match(duration)):
            found.error(where, f"podcast:soundbite needs decimal startTime and duration "
                        f"(has {start!r}, {duration!r})")  # fmt: skip
            continue
        label = f"podcast:soundbite at {start} s"
        if float(duration) <= 0:
            found.error(where, f"{label} lasts no time")
        elif (
            episode_s is not None and float(start) + float(duration) > episode_s + DURATION_SLACK_S
        ):
            found.error(
                where, f"{label} runs past the end of the episode (itunes:duration {length})"
            )
        elif not low <= float(duration) <= high:
            found.warning(where, f"{label} lasts {duration} s; apps expect {low:g}-{high:g} s")
        if len((soundbite.text or "").strip()) > MAX_SOUNDBITE_TITLE:
            found.lapse(where, f"{label} title is over {MAX_SOUNDBITE_TITLE} characters")


def _seconds(duration: str) -> float | None:
    """Read itunes:duration as seconds: `1234`, `20:34` or `0:20:34` (None if unreadable)."""
    parts = duration.split(":")
    if not duration or len(parts) > 3 or not all(WHOLE_RE.match(p) for p in parts):
        return None
    return float(sum(int(p) * 60**i for i, p in enumerate(reversed(parts))))


def _check_persons_and_locations(parent: ET.Element, where: str, found: Findings) -> None:
    for person in parent.findall("podcast:person", NS):
        _check_text(person, "podcast:person", where, found, required=True)
        if person.get("role") is not None and not person.get("role", "").strip():
            found.lapse(where, f"podcast:person {(person.text or '').strip()!r} has no role")
        for attr in ("img", "href"):
            value = person.get(attr)
            if value is not None and not is_http_url(value):
                found.error(where, f"podcast:person {attr} {value!r} is not an absolute URL")
    for location in parent.findall("podcast:location", NS):
        _check_text(location, "podcast:location", where, found, required=True)
        _check_location(location, where, found)


def _check_location(location: ET.Element, where: str, found: Findings) -> None:
    geo, osm = location.get("geo"), location.get("osm")
    rel, country = location.get("rel"), location.get("country")
    match = GEO_RE.match(geo) if geo is not None else None
    if geo is not None and (not match or abs(float(match[1])) > 90 or abs(float(match[2])) > 180):
        found.error(where, f"podcast:location geo {geo!r} is not like geo:54.71,20.51")
    if osm is not None and not OSM_RE.match(osm):
        found.error(where, f"podcast:location osm {osm!r} is not like R1674442")
    if rel is not None and rel not in LOCATION_RELS:
        found.error(where, f"podcast:location rel {rel!r} is not subject or creator")
    if country is not None and not COUNTRY_RE.match(country):
        found.error(where, f"podcast:location country {country!r} is not a two-letter code")


def _check_typed_link(
    element: ET.Element, tag: str, types: Sequence[str], where: str, found: Findings
) -> None:
    _check_url(element, tag, where, found)
    mime = element.get("type")
    if mime is None:
        found.error(where, f"{tag} has no type")
    elif mime not in types:
        found.lapse(where, f"{tag} type {mime!r} is not one apps expect ({', '.join(types)})")


def _check_url(element: ET.Element, tag: str, where: str, found: Findings) -> None:
    url = element.get("url")
    if url is None:
        found.error(where, f"{tag} has no url")
    elif not is_http_url(url):
        found.error(where, f"{tag} url {url!r} is not an absolute ASCII http(s) URL")


def _check_text(
    element: ET.Element, tag: str, where: str, found: Findings, *, required: bool
) -> None:
    value = (element.text or "").strip()
    if not value:
        (found.error if required else found.lapse)(where, f"{tag} has no text")
    elif len(value) > MAX_TEXT_CHARS:
        found.warning(where, f"{tag} text is {len(value)} characters; apps may cut it at 128")


def _check_single(parent: ET.Element, tags: Sequence[str], where: str, found: Findings) -> None:
    for tag in tags:
        if len(parent.findall(tag, NS)) > 1:
            found.error(where, f"has more than one {tag}")
