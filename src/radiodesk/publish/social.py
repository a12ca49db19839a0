"""Open Graph and Twitter card tags: what a link to a page shows when shared (Telegram, VK, X).

Pure: the site's view models in, (attribute, name, content) triples out, written as <meta> tags.
Every URL in a card is absolute (https://ogp.me: og:url and og:image are full URLs).
"""

from __future__ import annotations

import locale
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from radiodesk.publish.site_model import SiteEpisode, SiteShow

AUDIO_TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/mp4"}  # og:audio:type, by the key's suffix
_LOCALE_RE = re.compile(r"[a-z]{2,3}_[A-Z]{2}")

MetaTag = tuple[str, str, str]  # (attribute: property or name, its value, content)


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """What a shared link says about one page."""

    kind: str  # og:type: "website" for the show, "article" for an episode
    title: str
    description: str
    site_name: str
    language: str  # the show's, e.g. "ru" or "en-GB"
    url: str | None  # the page's own absolute URL
    image_url: str | None
    image_alt: str = ""
    audio_url: str | None = None
    audio_type: str | None = None
    published: datetime | None = None


def show_card(show: SiteShow, summary: str, cover_word: str) -> Card:
    """Return the show page's card: the show, its summary and artwork."""
    return Card(
        kind="website",
        title=show.title,
        description=summary,
        site_name=show.title,
        language=show.language,
        url=show.page_url,
        image_url=show.image_url,
        image_alt=f"{cover_word}: {show.title}",
    )


def episode_card(show: SiteShow, episode: SiteEpisode, summary: str, cover_word: str) -> Card:
    """Return an episode page's card: its title, notes, artwork (or the show's) and MP3."""
    return Card(
        kind="article",
        title=episode.title,
        description=summary or show.title,  # as the page's own description says
        site_name=show.title,
        language=show.language,
        url=episode.page_url,
        image_url=episode.image_url or show.image_url,
        image_alt=f"{cover_word}: {episode.title}",
        audio_url=episode.audio_url,
        audio_type=AUDIO_TYPES.get(PurePosixPath(episode.audio_key).suffix),
        published=episode.published,
    )


def meta_tags(card: Card) -> list[MetaTag]:
    """Return the Open Graph and Twitter tags of a card, leaving out what it does not know."""
    optional = [
        ("og:url", card.url),
        ("og:locale", og_locale(card.language)),
        ("og:image", card.image_url),
        ("og:image:alt", card.image_alt if card.image_url else None),
        ("og:audio", card.audio_url),
        ("og:audio:type", card.audio_type if card.audio_url else None),
        ("article:published_time", card.published.isoformat() if card.published else None),
    ]
    tags = [
        ("property", "og:type", card.kind),
        ("property", "og:site_name", card.site_name),
        ("property", "og:title", card.title),
        ("property", "og:description", card.description),
        *(("property", name, value) for name, value in optional if value),
    ]
    # The artwork is square and at least 1400 px (Apple's rule): big enough for a large card.
    twitter = [
        ("twitter:card", "summary_large_image" if card.image_url else "summary"),
        ("twitter:title", card.title),
        ("twitter:description", card.description),
    ]
    if card.image_url:
        twitter += [("twitter:image", card.image_url), ("twitter:image:alt", card.image_alt)]
    return tags + [("name", name, value) for name, value in twitter]


def og_locale(language: str) -> str | None:
    """Return the og:locale of a language tag (`ru` -> `ru_RU`, `en-GB` -> `en_GB`), if known.

    A tag without a region gets the usual one from the C library's alias table (read, never set).
    """
    primary, _, region = language.partition("-")
    if len(region) == 2:
        return f"{primary.lower()}_{region.upper()}"
    usual = locale.normalize(primary.lower()).split(".")[0]
    return usual if _LOCALE_RE.fullmatch(usual) else None
