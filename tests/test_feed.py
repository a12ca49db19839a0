"""Tests for radiodesk.feed: XPath on the XML, then podcastparser and feedparser read it."""

from __future__ import annotations

import dataclasses
import html
import io
import itertools
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser
import lxml.html
import podcastparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from clirun import run
from radiodesk.errors import FeedError
from radiodesk.publish.feed_guard import judge_feeds
from radiodesk.publish.feed_model import (
    Channel,
    Funding,
    Item,
    Location,
    Person,
    Transcript,
    page_key,
    podcast_guid_for,
)
from radiodesk.publish.feed_writer import build_feeds
from radiodesk.show.settings import Settings
from radiodesk.spec import ITUNES_NS, PODCAST_NS

NS = {
    "itunes": ITUNES_NS,
    "atom": "http://www.w3.org/2005/Atom",
    "podcast": PODCAST_NS,
    "content": "http://purl.org/rss/1.0/modules/content/",
}
FEED_URL = "https://cdn.example.org/radio/feed.xml"
LEGACY_PODCAST_NS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
MSK = timezone(timedelta(hours=3))
HOSTILE = "<b>&amp; ]]> \"quotes\" 'single' 😀 \u202eRTL"
CYRILLIC_TITLE = "Алиханов о сотрудничестве с белорусскими заводами"
CYRILLIC_AUTHOR = "Радио «Комментарии»"
RFC_2822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d [+-]\d{4}$"
)


def make_channel(**changes: Any) -> Channel:
    channel = Channel(
        title="Комментарии: интервью",
        description="Интервью и выступления в эфире радио.",
        language="ru",
        link="https://example.org/",
        feed_url=FEED_URL,
        author=CYRILLIC_AUTHOR,
        owner_name="Иван Петров",
        owner_email="podcast@example.org",
        category="News",
        subcategory="Politics",
        explicit=False,
        image_url="https://cdn.example.org/radio/cover-1a2b3c.jpeg",
        copyright="© 2026 Радио",
    )
    return dataclasses.replace(channel, **changes)


def make_item(number: int = 1, **changes: Any) -> Item:
    item = Item(
        guid=f"radiodesk-{number:04d}",
        title=f"Выпуск {number}",
        description=f"Первый абзац {number}.\nВторая строка.\n\nВторой абзац.",
        published=datetime(2026, 3, number, 18, 30, 5, tzinfo=MSK),
        link=f"https://example.org/episodes/{number}",
        enclosure_url=f"https://cdn.example.org/radio/episode-{number}.mp3",
        enclosure_length=1_000_000 + number,
        duration_s=1234.4,
        season=2,
        episode=number,
        explicit=False,
        image_url=f"https://cdn.example.org/radio/art-{number}.jpg",
    )
    return dataclasses.replace(item, **changes)


def build_feed(channel: Channel, items: list[Item]) -> bytes:
    """Write one document, unpaged."""
    return build_feeds(channel, items, page_size=None)["feed.xml"]


def judged_feed(channel: Channel, items: list[Item]) -> bytes:
    """Write one document and judge it, as publish does before it replaces the live feed."""
    feed = build_feed(channel, items)
    judge_feeds({"feed.xml": feed})
    return feed


def parse_xml(feed: bytes) -> Any:
    return etree.fromstring(feed)


def read_podcastparser(feed: bytes) -> dict[str, Any]:
    result: dict[str, Any] = podcastparser.parse(FEED_URL, io.BytesIO(feed))
    return result


def read_podcastparser_p20(feed: bytes) -> dict[str, Any]:
    """Read with podcastparser 0.6.11, which knows the podcast namespace only by its first URI.

    The namespace spec makes readers treat both URIs as identical, so the feed keeps the current.
    """
    return read_podcastparser(feed.replace(PODCAST_NS.encode(), LEGACY_PODCAST_NS.encode()))


def read_feedparser(feed: bytes) -> Any:
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def html_to_text(markup: str) -> str:
    """Undo the description markup: paragraphs to blank lines, <br> to newlines, entities."""
    markup = re.sub(r"</p>\s*<p>", "\n\n", markup)
    markup = re.sub(r"<br\s*/?>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def one(root: Any, path: str) -> Any:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{path}: {found!r}"
    return found[0]


@pytest.fixture
def feed() -> bytes:
    items = [make_item(1), make_item(3, explicit=True, season=None), make_item(2)]
    return build_feed(make_channel(), items)


def test_document_is_utf8_rss2_with_exact_itunes_namespace(feed: bytes) -> None:
    assert feed.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = parse_xml(feed)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    assert root.nsmap["itunes"] == "http://www.itunes.com/dtds/podcast-1.0.dtd"
    assert b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"' in feed


def test_channel_carries_every_required_tag(feed: bytes) -> None:
    channel = one(parse_xml(feed), "/rss/channel")
    expected_text = {
        "title": "Комментарии: интервью",
        "description": "Интервью и выступления в эфире радио.",
        "language": "ru",
        "link": "https://example.org/",
        "generator": "radiodesk",
        "copyright": "© 2026 Радио",
        "image/url": "https://cdn.example.org/radio/cover-1a2b3c.jpeg",
        "itunes:author": CYRILLIC_AUTHOR,
        "itunes:owner/itunes:name": "Иван Петров",
        "itunes:owner/itunes:email": "podcast@example.org",
        "itunes:explicit": "false",
        "itunes:type": "episodic",
        "pubDate": "Tue, 03 Mar 2026 18:30:05 +0300",
        "lastBuildDate": "Tue, 03 Mar 2026 18:30:05 +0300",
    }
    for path, text in expected_text.items():
        assert one(channel, path).text == text, path
    self_link = one(channel, "atom:link")
    assert (self_link.get("rel"), self_link.get("href")) == ("self", FEED_URL)
    assert one(channel, "itunes:image").get("href").endswith("cover-1a2b3c.jpeg")
    assert one(channel, "itunes:category").get("text") == "News"
    assert one(channel, "itunes:category/itunes:category").get("text") == "Politics"


def test_item_carries_every_required_tag(feed: bytes) -> None:
    item = one(parse_xml(feed), "/rss/channel/item[guid='radiodesk-0002']")
    expected_text = {
        "title": "Выпуск 2",
        "itunes:title": "Выпуск 2",
        "link": "https://example.org/episodes/2",
        "pubDate": "Mon, 02 Mar 2026 18:30:05 +0300",
        "itunes:duration": "1234",
        "itunes:season": "2",
        "itunes:episode": "2",
        "itunes:explicit": "false",
        "itunes:episodeType": "full",
    }
    for path, text in expected_text.items():
        assert one(item, path).text == text, path
    assert one(item, "guid").get("isPermaLink") == "false"
    enclosure = one(item, "enclosure")
    assert dict(enclosure.attrib) == {
        "url": "https://cdn.example.org/radio/episode-2.mp3",
        "length": "1000002",
        "type": "audio/mpeg",
    }
    assert one(item, "itunes:image").get("href") == "https://cdn.example.org/radio/art-2.jpg"
    assert one(item, "description").text == (
        "<p>Первый абзац 2.<br>Вторая строка.</p><p>Второй абзац.</p>"
    )


def test_description_is_cdata(feed: bytes) -> None:
    assert b"<description><![CDATA[<p>" in feed


def test_podcastparser_reads_channel_and_items(feed: bytes) -> None:
    podcast = read_podcastparser(feed)
    assert podcast["title"] == "Комментарии: интервью"
    assert podcast["cover_url"] == "https://cdn.example.org/radio/cover-1a2b3c.jpeg"
    assert podcast["itunes_categories"] == [["News", "Politics"]]
    assert podcast["itunes_owner"] == {"name": "Иван Петров", "email": "podcast@example.org"}
    assert podcast["explicit"] is False
    assert podcast["type"] == "episodic"
    episode = podcast["episodes"][0]
    assert episode["guid"] == "radiodesk-0003"
    assert episode["enclosures"] == [
        {
            "url": "https://cdn.example.org/radio/episode-3.mp3",
            "file_size": 1_000_003,
            "mime_type": "audio/mpeg",
        }
    ]
    assert (episode["total_time"], episode["number"], episode["explicit"]) == (1234, 3, True)
    assert "season" not in episode
    assert podcast["episodes"][1]["season"] == 2


def test_feedparser_reads_feed_without_warnings(feed: bytes) -> None:
    parsed = read_feedparser(feed)
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Комментарии: интервью"
    assert parsed.feed.language == "ru"
    assert [entry.id for entry in parsed.entries] == [
        "radiodesk-0003",
        "radiodesk-0002",
        "radiodesk-0001",
    ]
    assert parsed.entries[0].guidislink is False
    assert parsed.entries[0].enclosures[0].length == "1000003"
    assert parsed.entries[0].itunes_duration == "1234"


@pytest.mark.parametrize("explicit", [True, False])
def test_explicit_is_true_or_false(explicit: bool) -> None:
    feed = build_feed(make_channel(explicit=explicit), [make_item(1, explicit=explicit)])
    word = "true" if explicit else "false"
    root = parse_xml(feed)
    assert one(root, "/rss/channel/itunes:explicit").text == word
    assert one(root, "/rss/channel/item/itunes:explicit").text == word
    podcast = read_podcastparser(feed)
    assert podcast["explicit"] is explicit
    assert podcast["episodes"][0]["explicit"] is explicit


def test_jpeg_artwork_survives() -> None:
    url = "https://cdn.example.org/radio/cover-ffee.jpeg"
    feed = build_feed(make_channel(image_url=url), [make_item(1, image_url=url)])
    root = parse_xml(feed)
    assert one(root, "/rss/channel/itunes:image").get("href") == url
    assert one(root, "/rss/channel/item/itunes:image").get("href") == url
    podcast = read_podcastparser(feed)
    assert podcast["cover_url"] == url
    assert podcast["episodes"][0]["episode_art_url"] == url


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])))
def test_items_are_newest_first_whatever_the_input_order(order: tuple[int, ...]) -> None:
    feed = build_feed(make_channel(), [make_item(number) for number in order])
    guids = parse_xml(feed).xpath("/rss/channel/item/guid/text()")
    assert guids == ["radiodesk-0003", "radiodesk-0002", "radiodesk-0001"]
    assert [e["guid"] for e in read_podcastparser(feed)["episodes"]] == guids


def test_same_instant_orders_by_guid() -> None:
    when = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    items = [make_item(n, published=when) for n in (1, 2)]
    assert build_feed(make_channel(), items) == build_feed(make_channel(), items[::-1])


@pytest.mark.parametrize(
    "published",
    [
        datetime(2026, 3, 1, 18, 30, 5, tzinfo=MSK),
        datetime(2026, 7, 14, 23, 59, 59, tzinfo=UTC),
        datetime(2025, 12, 31, 22, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_pub_date_is_rfc2822_and_parses_back_to_the_same_instant(published: datetime) -> None:
    feed = build_feed(make_channel(), [make_item(1, published=published)])
    text = one(parse_xml(feed), "/rss/channel/item/pubDate").text
    assert RFC_2822.match(text), text
    assert read_podcastparser(feed)["episodes"][0]["published"] == published.timestamp()
    parsed = read_feedparser(feed).entries[0].published_parsed
    assert time.struct_time(parsed)[:6] == published.astimezone(UTC).timetuple()[:6]


def test_optional_tags_are_left_out() -> None:
    item = make_item(1, link=None, season=None, episode=None, image_url=None, description="")
    feed = build_feed(make_channel(image_url=None, copyright=None), [item])
    root = parse_xml(feed)
    for path in ("image", "itunes:image", "copyright", "item/link", "item/description"):
        assert root.xpath(f"/rss/channel/{path}", namespaces=NS) == [], path
    for tag in ("season", "episode", "image"):
        assert root.xpath(f"//item/itunes:{tag}", namespaces=NS) == [], tag
    read_feedparser(feed)


def test_feed_without_items_has_no_dates() -> None:
    feed = build_feed(make_channel(), [])
    root = parse_xml(feed)
    assert root.xpath("/rss/channel/pubDate | /rss/channel/lastBuildDate") == []
    assert read_podcastparser(feed)["episodes"] == []
    read_feedparser(feed)


def test_serial_show_type_is_written() -> None:
    feed = build_feed(make_channel(show_type="serial"), [make_item(1)])
    assert one(parse_xml(feed), "/rss/channel/itunes:type").text == "serial"
    assert read_podcastparser(feed)["type"] == "serial"


def test_duration_is_rounded_to_whole_seconds() -> None:
    feed = build_feed(make_channel(), [make_item(1, duration_s=3599.6)])
    assert one(parse_xml(feed), "//item/itunes:duration").text == "3600"


def test_persons_are_written_in_the_podcast_namespace() -> None:
    persons = (Person(name="Алиханов"), Person(name="Мария", role="guest"))
    feed = build_feed(make_channel(), [make_item(1, persons=persons)])
    found = parse_xml(feed).xpath("//item/podcast:person", namespaces=NS)
    assert [(p.text, p.get("role")) for p in found] == [("Алиханов", "host"), ("Мария", "guest")]


def test_cyrillic_survives_everywhere() -> None:
    channel = make_channel(title=CYRILLIC_AUTHOR, author=CYRILLIC_AUTHOR)
    description = "Министр рассказал о заводах.\n\nВторой абзац — «цитата»."
    feed = build_feed(channel, [make_item(1, title=CYRILLIC_TITLE, description=description)])
    podcast = read_podcastparser(feed)
    assert (podcast["title"], podcast["itunes_author"]) == (CYRILLIC_AUTHOR, CYRILLIC_AUTHOR)
    assert podcast["episodes"][0]["title"] == CYRILLIC_TITLE
    assert podcast["episodes"][0]["description"] == description
    parsed = read_feedparser(feed)
    assert (parsed.feed.title, parsed.feed.author) == (CYRILLIC_AUTHOR, CYRILLIC_AUTHOR)
    assert parsed.entries[0].title == CYRILLIC_TITLE
    assert html_to_text(parsed.entries[0].summary) == description


def test_hostile_text_round_trips_through_both_parsers() -> None:
    description = f"{HOSTILE}\nline two\n\n{HOSTILE}"
    channel = make_channel(title=HOSTILE, description=HOSTILE, author=HOSTILE)
    feed = build_feed(channel, [make_item(1, title=f"  {HOSTILE}  ", description=description)])
    podcast = read_podcastparser(feed)
    assert (podcast["title"], podcast["description"], podcast["itunes_author"]) == (HOSTILE,) * 3
    episode = podcast["episodes"][0]
    assert episode["title"] == HOSTILE
    # podcastparser's own plain-text description eats "&lt;b&gt;"; its HTML copy is intact.
    assert html_to_text(episode["description_html"]) == description
    parsed = read_feedparser(feed)
    assert (parsed.feed.title, parsed.feed.author) == (HOSTILE, HOSTILE)
    assert parsed.entries[0].title == HOSTILE
    assert html_to_text(parsed.entries[0].summary) == description


def test_description_paragraphs_accept_any_newline_style() -> None:
    text = "  one\r\ntwo  \r\n\r\n\n   \nthree\rfour\n\n"
    feed = build_feed(make_channel(), [make_item(1, description=text)])
    expected = "<p>one<br>two</p><p>three<br>four</p>"
    assert one(parse_xml(feed), "//item/description").text == expected


LINKED_NOTES = (
    "Полная запись: https://radio.example.org/эфир/5-марта.\n"
    "Сайт «https://пример.рф/новости», а вопросы — на www.example.org!\n\n"
    "(см. https://ru.wikipedia.org/wiki/Москва_(город)) javascript:alert(1) <b>не жирный</b> & ]]>"
)
LINKED_HREFS = [
    "https://radio.example.org/эфир/5-марта",
    "https://пример.рф/новости",
    "http://www.example.org",
    "https://ru.wikipedia.org/wiki/Москва_(город)",
]


def test_links_in_the_notes_are_clickable_in_content_encoded() -> None:
    feed = build_feed(make_channel(), [make_item(1, description=LINKED_NOTES)])
    assert b"<content:encoded><![CDATA[<p>" in feed
    item = one(parse_xml(feed), "//item")
    notes = lxml.html.fragment_fromstring(one(item, "content:encoded").text, create_parent="div")
    assert [child.tag for child in notes] == ["p", "p"]
    assert [a.get("href") for a in notes.iter("a")] == LINKED_HREFS
    assert not notes.xpath("//b | //script | //@onclick")  # the producer's <b> stays text
    assert html_to_text(one(item, "content:encoded").text) == LINKED_NOTES
    # <description> stays as it was: the same paragraphs, escaped, without links.
    description = one(item, "description").text
    assert "<a " not in description
    assert html_to_text(description) == LINKED_NOTES


def test_both_readers_read_the_links_back() -> None:
    feed = build_feed(make_channel(), [make_item(1, description=LINKED_NOTES)])
    episode = read_podcastparser(feed)["episodes"][0]
    hrefs = lxml.html.fragment_fromstring(episode["description_html"], create_parent="div")
    assert [a.get("href") for a in hrefs.iter("a")] == LINKED_HREFS
    assert html_to_text(episode["description_html"]) == LINKED_NOTES
    entry = read_feedparser(feed).entries[0]
    content = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")
    assert [a.get("href") for a in content.iter("a")] == LINKED_HREFS
    assert html_to_text(entry.content[0].value) == LINKED_NOTES
    assert html_to_text(entry.summary) == LINKED_NOTES


def test_notes_without_links_need_no_content_encoded(feed: bytes) -> None:
    assert not parse_xml(feed).xpath("//content:encoded", namespaces=NS)
    plain = "Сайт radio.by и javascript:alert(1) и почта desk@example.org"
    linkless = build_feed(make_channel(), [make_item(1, description=plain)])
    assert not parse_xml(linkless).xpath("//content:encoded", namespaces=NS)


def test_same_inputs_give_identical_bytes() -> None:
    items = [make_item(n) for n in (1, 2, 3)]
    assert build_feed(make_channel(), items) == build_feed(make_channel(), list(items))


def test_description_of_exactly_4000_bytes_is_accepted() -> None:
    description = "я" * 2000
    feed = build_feed(make_channel(description=description), [])
    assert one(parse_xml(feed), "/rss/channel/description").text == description


CHANNEL_ERRORS = [
    ({"title": "  "}, "channel title is empty"),
    ({"description": " \n"}, "channel description is empty"),
    ({"description": "я" * 2001}, "feed.xml channel: description is 4002 bytes; Apple allows 4000"),
    (
        {"language": "russian"},
        "feed.xml channel: language 'russian' is not an ISO 639 code like ru or en-us",
    ),
    (
        {"category": "Politics"},
        "feed.xml channel: category 'Politics' is not one of Apple's categories",
    ),
    (
        {"subcategory": "Politics", "category": "Arts"},
        "feed.xml channel: subcategory 'Politics' is not under 'Arts'",
    ),
    ({"explicit": "no"}, "channel explicit must be true or false"),
    ({"author": ""}, "feed.xml channel: has no itunes:author"),
    ({"owner_name": " "}, "feed.xml channel: has no itunes:owner/itunes:name"),
    (
        {"owner_email": "podcast"},
        "feed.xml channel: itunes:owner/itunes:email 'podcast' is not an e-mail",
    ),
    (
        {"show_type": "daily"},
        "feed.xml channel: itunes:type 'daily' is not one of episodic, serial",
    ),
    (
        {"link": "example.org"},
        "feed.xml channel: link 'example.org' is not an absolute http(s) URL",
    ),
    ({"feed_url": "ftp://example.org/feed.xml"}, "feed.xml channel: atom:link rel=self 'ftp://"),
    ({"feed_url": "https://example.org/лента.xml"}, "is not an absolute http(s) URL"),
    ({"link": "https://example.org/a b"}, "is not an absolute http(s) URL"),
    ({"link": "http://[example.org/"}, "is not an absolute http(s) URL"),
    ({"image_url": "https://example.org/cover.gif"}, "is not a .jpg or .png file"),
    ({"image_url": ""}, "feed.xml channel: has no itunes:image"),
]


@pytest.mark.parametrize(("changes", "message"), CHANNEL_ERRORS)
def test_invalid_channel_raises_feed_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedError, match=re.escape(message)) as caught:
        judged_feed(make_channel(**changes), [make_item(1)])
    assert "\n" not in str(caught.value)


ITEM_ERRORS = [
    ({"title": " \t"}, "feed.xml item #2: title is empty"),
    ({"guid": ""}, "feed.xml item 'Выпуск 1': has no guid"),
    ({"guid": " g1"}, "feed.xml item 'Выпуск 1': guid ' g1' starts or ends with whitespace"),
    ({"published": datetime(2026, 3, 1, 12, 0)}, "publication date has no time zone"),
    ({"enclosure_length": 0}, "feed.xml item 'Выпуск 1': enclosure length 0 is not a byte count"),
    ({"enclosure_length": -5}, "feed.xml item 'Выпуск 1': enclosure length -5 is not a byte count"),
    (
        {"enclosure_length": True},
        "feed.xml item 'Выпуск 1': enclosure length True is not a byte count",
    ),
    (
        {"enclosure_length": 1.5},
        "feed.xml item 'Выпуск 1': enclosure length 1.5 is not a byte count",
    ),
    ({"duration_s": float("nan")}, "duration nan is not a number of seconds"),
    ({"duration_s": -1.0}, "duration -1.0 is not a number of seconds"),
    ({"season": 0}, "feed.xml item 'Выпуск 1': itunes:season '0' is not a positive whole number"),
    ({"episode": 0}, "feed.xml item 'Выпуск 1': itunes:episode '0' is not a positive whole number"),
    ({"explicit": "yes"}, "episode 'radiodesk-0001' explicit must be true or false"),
    ({"persons": (Person(name=" "),)}, "feed.xml item 'Выпуск 1': podcast:person has no text"),
    (
        {"persons": (Person(name="Иван", role=""),)},
        "feed.xml item 'Выпуск 1': podcast:person 'Иван' has no role",
    ),
    (
        {"enclosure_url": "https://cdn.example.org/e.wav"},
        "feed.xml item 'Выпуск 1': enclosure .wav is not a type",
    ),
    (
        {"enclosure_url": "https://cdn.example.org/e"},
        "feed.xml item 'Выпуск 1': enclosure without extension",
    ),
    (
        {"enclosure_type": "audio/x-m4a"},
        "feed.xml item 'Выпуск 1': enclosure type 'audio/x-m4a' does not match .mp3",
    ),
    (
        {"enclosure_url": "/radio/e.mp3"},
        "feed.xml item 'Выпуск 1': enclosure URL '/radio/e.mp3' is not an absolute",
    ),
    (
        {"link": "/episodes/1"},
        "feed.xml item 'Выпуск 1': link '/episodes/1' is not an absolute http(s) URL",
    ),
    (
        {"image_url": "https://cdn.example.org/art.webp"},
        "feed.xml item 'Выпуск 1': itunes:image 'https://cdn.example.org/art.webp' is not a .jpg",
    ),
]


@pytest.mark.parametrize(("changes", "message"), ITEM_ERRORS)
def test_invalid_item_raises_feed_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedError, match=re.escape(message)) as caught:
        judged_feed(make_channel(), [make_item(2), make_item(1, **changes)])
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"guid": "radiodesk-0001"}, "guid 'radiodesk-0001' is also the guid of"),
        (
            {"enclosure_url": "https://cdn.example.org/radio/episode-1.mp3"},
            "enclosure https://cdn.example.org/radio/episode-1.mp3 is also the enclosure of",
        ),
    ],
)
def test_duplicates_raise_feed_error(second: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedError, match=re.escape(message)):
        judged_feed(make_channel(), [make_item(1), make_item(2, **second)])


def test_serial_show_needs_episode_numbers() -> None:
    with pytest.raises(FeedError, match=r"has no itunes:episode; a serial show needs one"):
        judged_feed(make_channel(show_type="serial"), [make_item(1, episode=None)])


def test_m4a_enclosure_with_matching_type_is_accepted() -> None:
    item = make_item(1, enclosure_url="https://cdn.example.org/e.M4A", enclosure_type="audio/x-m4a")
    feed = build_feed(make_channel(), [item])
    assert one(parse_xml(feed), "//enclosure").get("type") == "audio/x-m4a"


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ("channel", "title"),
        ("channel", "description"),
        ("channel", "author"),
        ("channel", "copyright"),
        ("item", "title"),
        ("item", "description"),
        ("item", "guid"),
    ],
)
@pytest.mark.parametrize("char", ["\x00", "\x08", "\x1b", "\x7f", "\x85", "\ud800", "\uffff"])
def test_control_characters_raise_feed_error_naming_the_field(
    target: str, field: str, char: str
) -> None:
    text = f"before{char}after"
    channel = make_channel(**{field: text}) if target == "channel" else make_channel()
    item = make_item(1, **{field: text}) if target == "item" else make_item(1)
    where = "channel" if target == "channel" else "episode '.*'"
    message = rf"^{where} {field} contains the control character U\+{ord(char):04X}$"
    with pytest.raises(FeedError, match=message):
        build_feed(channel, [item])


def test_control_character_in_person_name_raises_feed_error() -> None:
    item = make_item(1, persons=(Person(name="Ив\x00ан"),))
    with pytest.raises(FeedError, match=r"person name contains the control character U\+0000$"):
        build_feed(make_channel(), [item])


CLEAN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=60,
).filter(lambda text: text.strip() != "")
CONTROL_CHARS = st.characters(categories=("Cc", "Cs")).filter(lambda c: c not in "\t\n\r")


@settings(max_examples=75, deadline=None)
@given(title=CLEAN_TEXT, description=CLEAN_TEXT)
def test_clean_text_survives_podcastparser(title: str, description: str) -> None:
    feed = build_feed(make_channel(), [make_item(1, title=title, description=description)])
    episode = read_podcastparser(feed)["episodes"][0]
    assert episode["title"] == podcastparser.squash_whitespace(title)
    assert html_to_text(episode["description_html"]) == description.strip()


@settings(max_examples=50, deadline=None)
@given(
    field=st.sampled_from(["title", "description", "guid", "link"]),
    before=st.text(max_size=5),
    char=CONTROL_CHARS,
)
def test_control_characters_never_reach_lxml(field: str, before: str, char: str) -> None:
    with pytest.raises(FeedError, match=f"{field} contains the control character"):
        build_feed(make_channel(), [make_item(1, **{field: f"{before}{char}x"})])


# --- Podcasting 2.0 and the settable Apple tags -------------------------------------------------

HOST = Person(name="Иван Петров")
GUEST = Person(name="Антон Алиханов", role="guest", href="https://example.org/alikhanov")
KALININGRAD = Location(name="Калининград", geo="geo:54.71,20.51", osm="R1674442", country="ru")
VTT = Transcript(url="https://cdn.example.org/radio/t-1.vtt", type="text/vtt")
JSON_CAPTIONS = Transcript(
    url="https://cdn.example.org/radio/t-1.json",
    type="application/json",
    language="ru",
    rel="captions",
)
CHAPTERS_URL = "https://cdn.example.org/radio/chapters-1.json"
IMG = "https://cdn.example.org/radio/olga.jpg"


@pytest.mark.parametrize(
    ("feed_url", "guid"),
    [
        # The two examples of https://podcastindex.org/namespace/1.0#guid
        ("https://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
        ("http://podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("https://podnews.net/rss//", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
    ],
)
def test_podcast_guid_matches_the_spec_examples(feed_url: str, guid: str) -> None:
    assert podcast_guid_for(feed_url) == guid


def test_channel_podcast_guid_and_medium_are_always_written() -> None:
    feed = build_feed(make_channel(), [make_item(1)])
    root = parse_xml(feed)
    assert one(root, "/rss/channel/podcast:guid").text == podcast_guid_for(FEED_URL)
    assert one(root, "/rss/channel/podcast:medium").text == "podcast"
    parsed = read_feedparser(feed)
    assert parsed.feed.podcast_guid == podcast_guid_for(FEED_URL)
    assert parsed.feed.podcast_medium == "podcast"


def test_stored_podcast_guid_wins_over_the_derived_one() -> None:
    guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    feed = build_feed(make_channel(podcast_guid=guid, medium="video"), [make_item(1)])
    assert one(parse_xml(feed), "/rss/channel/podcast:guid").text == guid
    assert one(parse_xml(feed), "/rss/channel/podcast:medium").text == "video"


@pytest.mark.parametrize("locked", [True, False])
def test_locked_with_owner(locked: bool) -> None:
    channel = make_channel(locked=locked, locked_owner="owner@example.org")
    feed = build_feed(channel, [make_item(1)])
    element = one(parse_xml(feed), "/rss/channel/podcast:locked")
    assert (element.text, element.get("owner")) == ("yes" if locked else "no", "owner@example.org")
    assert read_podcastparser_p20(feed)["import_prohibited"] is locked
    assert read_feedparser(feed).feed.podcast_locked == {"owner": "owner@example.org"}


def test_locked_without_owner_has_no_owner_attribute() -> None:
    feed = build_feed(make_channel(locked=True), [make_item(1)])
    assert dict(one(parse_xml(feed), "/rss/channel/podcast:locked").attrib) == {}


@pytest.mark.parametrize(("setting", "locked"), [("", True), ("locked = false\n", False)])
def test_a_published_show_is_locked_unless_its_settings_say_not(
    show: Settings, setting: str, locked: bool
) -> None:
    # The fixture's radiodesk.toml has no `locked` key, as shows made before the default did.
    path = show.root / "radiodesk.toml"
    path.write_text(path.read_text("utf-8").replace("[show]\n", f"[show]\n{setting}"), "utf-8")
    assert run("-C", show.root, "publish").status == 0
    feed = (show.local_store / "feed.xml").read_bytes()
    found = parse_xml(feed).xpath("/rss/channel/podcast:locked", namespaces=NS)
    if locked:
        (element,) = found
        assert (element.text, dict(element.attrib)) == ("yes", {"owner": show.show.email})
    else:
        assert found == []
    assert bool(read_podcastparser_p20(feed).get("import_prohibited")) is locked


def test_a_feed_that_fails_the_rules_never_replaces_the_live_one(show: Settings) -> None:
    # A funding link without its text loads, but check/'s rules refuse it before it goes live.
    assert run("-C", show.root, "publish").status == 0
    live = (show.local_store / "feed.xml").read_bytes()
    path = show.root / "radiodesk.toml"
    funding = 'funding_url = "https://radio.example.org/donate"\n'
    path.write_text(path.read_text("utf-8").replace("[show]\n", f"[show]\n{funding}"), "utf-8")
    done = run("-C", show.root, "publish")
    assert done.status == 1
    assert done.err.splitlines()[0] == (
        "radiodesk: error: the new feed fails its checks, so the live feed was left as it is: "
        "feed.xml channel: podcast:funding has no text"
    )
    assert "Traceback" not in done.err
    assert (show.local_store / "feed.xml").read_bytes() == live


def test_funding_links() -> None:
    funding = (
        Funding(url="https://example.org/donate", text="Поддержать радио"),
        Funding(url="https://example.org/members", text="Стать членом клуба"),
    )
    feed = build_feed(make_channel(funding=funding), [make_item(1)])
    found = parse_xml(feed).xpath("/rss/channel/podcast:funding", namespaces=NS)
    assert [(f.get("url"), f.text) for f in found] == [(f.url, f.text) for f in funding]
    # podcastparser keeps one link, the last, as it does with transcripts.
    assert read_podcastparser_p20(feed)["funding_url"] == "https://example.org/members"
    assert read_feedparser(feed).feed.podcast_funding == {"url": "https://example.org/members"}


def test_channel_location_and_hosts() -> None:
    channel = make_channel(location=KALININGRAD, persons=(HOST,))
    feed = build_feed(channel, [make_item(1)])
    root = parse_xml(feed)
    location = one(root, "/rss/channel/podcast:location")
    assert location.text == "Калининград"
    assert dict(location.attrib) == {"geo": "geo:54.71,20.51", "osm": "R1674442", "country": "ru"}
    person = one(root, "/rss/channel/podcast:person")
    assert (person.text, person.get("role")) == ("Иван Петров", "host")
    # An item without its own people inherits the channel's, so it repeats nobody.
    assert root.xpath("//item/podcast:person", namespaces=NS) == []
    assert read_feedparser(feed).feed.podcast_location["osm"] == "R1674442"


def test_item_persons_restate_the_channel_hosts_once() -> None:
    cohost = Person(name="Мария Иванова", role="co-host")
    channel = make_channel(persons=(HOST, cohost))
    item = make_item(1, persons=(GUEST, Person(name=" Иван Петров ")))
    feed = build_feed(channel, [item])
    found = parse_xml(feed).xpath("//item/podcast:person", namespaces=NS)
    assert [(p.text, p.get("role")) for p in found] == [
        ("Иван Петров", "host"),
        ("Мария Иванова", "co-host"),
        ("Антон Алиханов", "guest"),
    ]
    assert found[2].get("href") == "https://example.org/alikhanov"
    persons = read_podcastparser_p20(feed)["episodes"][0]["persons"]
    assert [(p["name"], p["role"]) for p in persons] == [
        ("Иван Петров", "host"),
        ("Мария Иванова", "co-host"),
        ("Антон Алиханов", "guest"),
    ]
    assert persons[2]["href"] == "https://example.org/alikhanov"


def test_person_group_and_image() -> None:
    person = Person(name="Ольга", role="producer", group="audio post-production", img=IMG)
    feed = build_feed(make_channel(persons=(person,)), [make_item(1)])
    attrs = dict(one(parse_xml(feed), "/rss/channel/podcast:person").attrib)
    assert attrs == {"role": "producer", "group": "audio post-production", "img": IMG}


def test_season_and_episode_in_both_namespaces() -> None:
    feed = build_feed(make_channel(), [make_item(7, season=3, season_name="Весна 2026")])
    item = one(parse_xml(feed), "//item")
    assert (one(item, "itunes:season").text, one(item, "itunes:episode").text) == ("3", "7")
    season = one(item, "podcast:season")
    assert (season.text, season.get("name")) == ("3", "Весна 2026")
    assert one(item, "podcast:episode").text == "7"
    entry = read_feedparser(feed).entries[0]
    assert (entry.podcast_episode, entry.podcast_season) == ("7", {"name": "Весна 2026"})
    episode = read_podcastparser_p20(feed)["episodes"][0]
    assert (episode["season"], episode["number"]) == (3, 7)


def test_no_season_or_number_writes_no_podcast_season_or_episode() -> None:
    feed = build_feed(make_channel(), [make_item(1, season=None, episode=None)])
    root = parse_xml(feed)
    assert root.xpath("//podcast:season | //podcast:episode", namespaces=NS) == []


def test_transcripts_and_chapters() -> None:
    item = make_item(1, transcripts=(VTT, JSON_CAPTIONS), chapters_url=CHAPTERS_URL)
    feed = build_feed(make_channel(), [item])
    root = parse_xml(feed)
    found = root.xpath("//item/podcast:transcript", namespaces=NS)
    assert [dict(t.attrib) for t in found] == [
        {"url": VTT.url, "type": "text/vtt"},
        {"url": JSON_CAPTIONS.url, "type": "application/json", "language": "ru", "rel": "captions"},
    ]
    chapters = one(root, "//item/podcast:chapters")
    assert dict(chapters.attrib) == {"url": CHAPTERS_URL, "type": "application/json+chapters"}
    episode = read_podcastparser_p20(feed)["episodes"][0]
    # podcastparser keeps only the last transcript, as gPodder does.
    assert (episode["transcript_url"], episode["chapters_json_url"]) == (
        JSON_CAPTIONS.url,
        CHAPTERS_URL,
    )
    entry = read_feedparser(feed).entries[0]
    assert entry.podcast_chapters == {"url": CHAPTERS_URL, "type": "application/json+chapters"}


def test_item_location() -> None:
    location = Location(name="Москва, Кремль", rel="creator", geo="geo:55.752,37.617;u=200")
    feed = build_feed(make_channel(), [make_item(1, location=location)])
    element = one(parse_xml(feed), "//item/podcast:location")
    assert element.text == "Москва, Кремль"
    assert dict(element.attrib) == {"rel": "creator", "geo": "geo:55.752,37.617;u=200"}


@pytest.mark.parametrize("episode_type", ["full", "trailer", "bonus"])
def test_episode_type_is_settable(episode_type: str) -> None:
    feed = build_feed(make_channel(), [make_item(1, episode_type=episode_type)])
    assert one(parse_xml(feed), "//item/itunes:episodeType").text == episode_type
    assert read_podcastparser(feed)["episodes"][0]["type"] == episode_type
    assert read_feedparser(feed).entries[0].itunes_episodetype == episode_type


def test_block_complete_and_new_feed_url() -> None:
    moved = "https://new.example.org/radio/feed.xml"
    channel = make_channel(block=True, complete=True, new_feed_url=moved)
    feed = build_feed(channel, [make_item(1, block=True)])
    root = parse_xml(feed)
    assert one(root, "/rss/channel/itunes:block").text == "Yes"
    assert one(root, "/rss/channel/itunes:complete").text == "Yes"
    assert one(root, "/rss/channel/itunes:new-feed-url").text == moved
    assert one(root, "//item/itunes:block").text == "Yes"
    assert read_podcastparser(feed)["new_url"] == moved
    parsed = read_feedparser(feed)
    assert parsed.feed["itunes_new-feed-url"] == moved
    assert parsed.entries[0].itunes_block == 1


def test_unset_podcast_tags_are_left_out() -> None:
    feed = build_feed(make_channel(), [make_item(1)])
    root = parse_xml(feed)
    for path in (
        "//podcast:locked",
        "//podcast:funding",
        "//podcast:location",
        "//podcast:person",
        "//podcast:transcript",
        "//podcast:chapters",
        "//itunes:block",
        "//itunes:complete",
        "//itunes:new-feed-url",
        "//atom:link[@rel!='self']",
    ):
        assert root.xpath(path, namespaces=NS) == [], path


PODCAST_CHANNEL_ERRORS = [
    ({"podcast_guid": "not-a-uuid"}, "feed.xml channel: podcast:guid 'not-a-uuid' is not a UUID"),
    ({"locked_owner": "a@example.org"}, "channel locked owner is set but locked is not"),
    (
        {"locked": True, "locked_owner": "nobody"},
        "feed.xml channel: podcast:locked owner 'nobody' is not an e-mail",
    ),
    ({"medium": "radio"}, "feed.xml channel: podcast:medium 'radio' is not a medium"),
    ({"new_feed_url": FEED_URL}, "feed.xml channel: itunes:new-feed-url is this feed's own URL"),
    (
        {"new_feed_url": "feed.xml"},
        "feed.xml channel: itunes:new-feed-url 'feed.xml' is not an absolute",
    ),
    (
        {"funding": (Funding(url="https://e.org/", text=" "),)},
        "feed.xml channel: podcast:funding has no text",
    ),
    (
        {"funding": (Funding(url="e.org", text="Дай"),)},
        "feed.xml channel: podcast:funding url 'e.org' is not",
    ),
    ({"persons": (Person(name=""),)}, "feed.xml channel: podcast:person has no text"),
    (
        {"persons": (Person(name="Я", img="/me.jpg"),)},
        "feed.xml channel: podcast:person img '/me.jpg' is not",
    ),
    ({"location": Location(name=" ")}, "feed.xml channel: podcast:location has no text"),
    ({"location": Location(name="X", geo="54.71,20.51")}, "geo '54.71,20.51' is not like"),
    ({"location": Location(name="X", geo="geo:91,20")}, "geo 'geo:91,20' is not like"),
    ({"location": Location(name="X", geo="geo:54,181")}, "geo 'geo:54,181' is not like"),
    ({"location": Location(name="X", osm="1674442")}, "osm '1674442' is not like R1674442"),
    ({"location": Location(name="X", rel="about")}, "rel 'about' is not subject or creator"),
    ({"location": Location(name="X", country="rus")}, "country 'rus' is not a two-letter code"),
    ({"location": Location(name="Ка\x00")}, "channel location name contains the control char"),
]


@pytest.mark.parametrize(("changes", "message"), PODCAST_CHANNEL_ERRORS)
def test_invalid_podcast_channel_values_raise_feed_error(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(FeedError, match=re.escape(message)):
        judged_feed(make_channel(**changes), [make_item(1)])


PODCAST_ITEM_ERRORS = [
    (
        {"episode_type": "Full"},
        "feed.xml item 'Выпуск 1': itunes:episodeType 'Full' is not one of full, trailer, bonus",
    ),
    ({"season_name": "Весна", "season": None}, "season name needs a season"),
    ({"season_name": " "}, "feed.xml item 'Выпуск 1': podcast:season name is empty"),
    ({"transcripts": (Transcript(url=VTT.url, type="text/srt"),)}, "type 'text/srt' is not one"),
    ({"transcripts": (dataclasses.replace(VTT, language="русский"),)}, "language 'русский'"),
    ({"transcripts": (dataclasses.replace(VTT, rel="subtitles"),)}, "rel 'subtitles' means"),
    ({"transcripts": (dataclasses.replace(VTT, url="t.vtt"),)}, "transcript url 't.vtt' is not"),
    ({"transcripts": (dataclasses.replace(VTT, url="https://e.org/\x1b"),)}, "transcript url"),
    ({"chapters_url": "/chapters.json"}, "chapters url '/chapters.json' is not an absolute"),
    ({"location": Location(name="X", geo="geo:x")}, "location geo 'geo:x' is not like"),
    ({"persons": (Person(name="Я", href="me"),)}, "person href 'me' is not an absolute"),
]


@pytest.mark.parametrize(("changes", "message"), PODCAST_ITEM_ERRORS)
def test_invalid_podcast_item_values_raise_feed_error(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(FeedError, match=re.escape(message)):
        judged_feed(make_channel(), [make_item(1, **changes)])


# --- RFC 5005 paging -----------------------------------------------------------------------------

PAGE_URLS = [FEED_URL, *(FEED_URL.replace("feed.xml", f"feed-{n}.xml") for n in (2, 3))]


def links(feed: bytes) -> dict[str, str]:
    found = parse_xml(feed).xpath("/rss/channel/atom:link", namespaces=NS)
    return {link.get("rel"): link.get("href") for link in found}


@pytest.mark.parametrize("page_size", [None, 7, 100])
def test_one_document_when_the_archive_fits(page_size: int | None) -> None:
    items = [make_item(n) for n in range(1, 8)]
    pages = build_feeds(make_channel(), items, page_size=page_size)
    assert pages == {"feed.xml": build_feed(make_channel(), items)}


def test_long_archive_is_paged_newest_first() -> None:
    items = [make_item(n) for n in range(1, 8)]
    pages = build_feeds(
        make_channel(new_feed_url="https://new.example.org/f.xml"), items, page_size=3
    )
    assert list(pages) == ["feed.xml", "feed-2.xml", "feed-3.xml"]
    guids = [parse_xml(page).xpath("//item/guid/text()") for page in pages.values()]
    assert guids == [
        ["radiodesk-0007", "radiodesk-0006", "radiodesk-0005"],
        ["radiodesk-0004", "radiodesk-0003", "radiodesk-0002"],
        ["radiodesk-0001"],
    ]
    every = [guid for page in guids for guid in page]
    assert sorted(every) == sorted(item.guid for item in items)  # each exactly once
    first, middle, last = (links(page) for page in pages.values())
    assert first == {
        "self": PAGE_URLS[0],
        "first": PAGE_URLS[0],
        "last": PAGE_URLS[2],
        "next": PAGE_URLS[1],
    }
    assert middle == {
        "self": PAGE_URLS[1],
        "first": PAGE_URLS[0],
        "last": PAGE_URLS[2],
        "previous": PAGE_URLS[0],
        "next": PAGE_URLS[2],
    }
    assert last == {
        "self": PAGE_URLS[2],
        "first": PAGE_URLS[0],
        "last": PAGE_URLS[2],
        "previous": PAGE_URLS[1],
    }
    # Only the main feed tells apps the show moved; every page has the same show identity.
    moved = [parse_xml(p).xpath("//itunes:new-feed-url", namespaces=NS) for p in pages.values()]
    assert [len(m) for m in moved] == [1, 0, 0]
    show_guids = {one(parse_xml(p), "//podcast:guid").text for p in pages.values()}
    assert show_guids == {podcast_guid_for(FEED_URL)}


def test_pages_carry_the_newest_date_of_the_archive() -> None:
    pages = build_feeds(make_channel(), [make_item(n) for n in range(1, 5)], page_size=2)
    dates = {one(parse_xml(p), "/rss/channel/lastBuildDate").text for p in pages.values()}
    assert dates == {"Wed, 04 Mar 2026 18:30:05 +0300"}


def test_readers_see_the_paging_links() -> None:
    pages = build_feeds(make_channel(), [make_item(n) for n in range(1, 6)], page_size=2)
    podcast = read_podcastparser(pages["feed.xml"])
    assert (podcast["paged_feed_first"], podcast["paged_feed_next"]) == (PAGE_URLS[0], PAGE_URLS[1])
    assert [e["guid"] for e in podcast["episodes"]] == ["radiodesk-0005", "radiodesk-0004"]
    for page in pages.values():
        parsed = read_feedparser(page)
        rels = {link.rel for link in parsed.feed.links}
        assert {"first", "last"} <= rels


def test_paging_is_deterministic_and_independent_of_input_order() -> None:
    items = [make_item(n) for n in range(1, 8)]
    assert build_feeds(make_channel(), items, page_size=2) == build_feeds(
        make_channel(), items[::-1], page_size=2
    )


@pytest.mark.parametrize(
    ("feed_key", "number", "expected"),
    [
        ("feed.xml", 2, "feed-2.xml"),
        ("podcasts/show/feed.xml", 3, "podcasts/show/feed-3.xml"),
        ("rss", 2, "rss-2"),
    ],
)
def test_page_key(feed_key: str, number: int, expected: str) -> None:
    assert page_key(feed_key, number) == expected


def test_pages_under_a_prefix_get_urls_beside_the_feed() -> None:
    url = "https://s3.example.org/bucket/podcasts/show/feed.xml"
    pages = build_feeds(
        make_channel(feed_url=url),
        [make_item(n) for n in (1, 2)],
        page_size=1,
        feed_key="podcasts/show/feed.xml",
    )
    assert list(pages) == ["podcasts/show/feed.xml", "podcasts/show/feed-2.xml"]
    assert links(pages["podcasts/show/feed.xml"])["next"] == url.replace("feed.xml", "feed-2.xml")


@pytest.mark.parametrize(
    ("changes", "page_size", "message"),
    [
        ({}, 0, "feed page size 0 must be 1 or more"),
        ({}, True, "feed page size True must be 1 or more"),
        ({"feed_url": "https://example.org/rss"}, 1, "does not end in 'feed.xml'"),
        ({"feed_url": FEED_URL + "?x=1"}, 1, "does not end in 'feed.xml'"),
    ],
)
def test_paging_errors(changes: dict[str, Any], page_size: int, message: str) -> None:
    with pytest.raises(FeedError, match=re.escape(message)):
        build_feeds(make_channel(**changes), [make_item(1), make_item(2)], page_size=page_size)


def test_every_tag_at_once_reads_cleanly_in_both_parsers() -> None:
    channel = make_channel(
        locked=False,
        locked_owner="podcast@example.org",
        funding=(Funding(url="https://example.org/donate", text="Поддержать"),),
        location=KALININGRAD,
        persons=(HOST,),
        block=True,
        complete=True,
        new_feed_url="https://new.example.org/feed.xml",
    )
    items = [
        make_item(
            n,
            persons=(GUEST,),
            transcripts=(VTT, JSON_CAPTIONS),
            chapters_url=CHAPTERS_URL,
            location=KALININGRAD,
            season_name="Весна",
            episode_type="bonus" if n == 2 else "full",
            block=n == 3,
        )
        for n in (1, 2, 3)
    ]
    for page in build_feeds(channel, items, page_size=2).values():
        parsed = read_feedparser(page)
        assert parsed.version == "rss20"
        podcast = read_podcastparser_p20(page)
        assert podcast["import_prohibited"] is False
        assert all(e["persons"][0]["name"] == "Иван Петров" for e in podcast["episodes"])
        assert read_podcastparser(page)["episodes"]  # and with the namespace it cannot see
