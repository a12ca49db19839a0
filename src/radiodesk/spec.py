"""Every rule, pattern and limit the specifications set, in one place: feed namespaces and
types, Apple's categories, the URL, e-mail, language and slug rules, the control characters.

Settings, the catalog, the feed writer and `check` all judge by these; imports nothing of ours.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

# Apple Podcasts categories (https://podcasters.apple.com/support/1691-apple-podcasts-categories):
# exact spelling and case matter (rule A08); a subcategory is only valid under its parent.
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": (
        "Careers",
        "Entrepreneurship",
        "Investing",
        "Management",
        "Marketing",
        "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health",
        "Fitness",
        "Medicine",
        "Mental Health",
        "Nutrition",
        "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga",
        "Automotive",
        "Aviation",
        "Crafts",
        "Games",
        "Hobbies",
        "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News",
        "Daily News",
        "Entertainment News",
        "News Commentary",
        "Politics",
        "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism",
        "Christianity",
        "Hinduism",
        "Islam",
        "Judaism",
        "Religion",
        "Spirituality",
    ),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary",
        "Personal Journals",
        "Philosophy",
        "Places & Travel",
        "Relationships",
    ),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"  # rule A02: exactly this, case matters
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"  # feedgen declares it on <rss>
ATOM_NS = "http://www.w3.org/2005/Atom"
RSS_TYPE = "application/rss+xml"
MAX_DESCRIPTION_BYTES = 4000  # rule A05
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")  # rule A06
# Rule A11: the enclosure types Apple accepts, by file extension.
ENCLOSURE_TYPES: dict[str, tuple[str, ...]] = {
    ".mp3": ("audio/mpeg",),
    ".m4a": ("audio/x-m4a", "audio/mp4"),
    ".mp4": ("video/mp4",),
    ".m4v": ("video/x-m4v",),
    ".mov": ("video/quicktime",),
}
SHOW_TYPES = ("episodic", "serial")
EPISODE_TYPES = ("full", "trailer", "bonus")
# https://podcastindex.org/namespace/1.0#medium; the list mediums need podcast:remoteItem.
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course")
TRANSCRIPT_TYPES = (
    "text/vtt",
    "application/x-subrip",
    "application/json",
    "text/html",
    "text/plain",
)
CHAPTERS_TYPE = "application/json+chapters"
LOCATION_RELS = ("subject", "creator")
# https://podcastindex.org/namespace/1.0#guid: UUIDv5 of the feed URL in this namespace.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF;
# C1 controls and DEL are legal XML but no listener should see them, so they are refused too.
# This is the one control-character rule: whatever a feed, a tag or a page may carry.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The same for one-line text (titles, names, file names): no tab or line break either.
LINE_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z]{2,4})?$", re.IGNORECASE)  # rule A07
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# RFC 5870 "geo" URI: latitude, longitude, optional altitude and parameters (;u=uncertainty).
GEO_RE = re.compile(
    r"^geo:(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)(?:,-?\d+(?:\.\d+)?)?(?:;\S*)?$"
)
OSM_RE = re.compile(r"^[NWR]\d+(?:#\d+)?$")  # node, way or relation id, e.g. R113314
COUNTRY_RE = re.compile(r"^[a-z]{2}$", re.IGNORECASE)  # ISO 3166-1 alpha-2
_SPACE_RE = re.compile(r"\s")  # what str.isspace() calls space, found at C speed
# A slug: the name of an episode folder and of its keys in the store (URL paths are ASCII).
SLUG_MAX = 80
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
MAX_SOUNDBITE_TITLE = 128  # namespace 1.0, soundbite: "free form string ... 128 characters"


def is_http_url(url: str) -> bool:
    """Return whether url is an absolute http(s) URL in ASCII without spaces (rule A16)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and url.isascii()
        and not _SPACE_RE.search(url)
    )


def is_email(value: str) -> bool:
    """Return whether `value` looks like an e-mail address."""
    return bool(EMAIL_RE.match(value))
