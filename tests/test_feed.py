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
import podcastparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from radiodesk.errors import FeedError
from radiodesk.feed import ITUNES_NS, PODCAST_NS, Channel, Item, Person, build_feed

NS = {"itunes": ITUNES_NS, "atom": "http://www.w3.org/2005/Atom", "podcast": PODCAST_NS}
FEED_URL = "https://cdn.example.org/radio/feed.xml"
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


def parse_xml(feed: bytes) -> Any:
    return etree.fromstring(feed)


def read_podcastparser(feed: bytes) -> dict[str, Any]:
    result: dict[str, Any] = podcastparser.parse(FEED_URL, io.BytesIO(feed))
    return result


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
    ({"description": "я" * 2001}, "channel description is 4002 bytes; Apple allows 4000"),
    ({"language": "russian"}, "channel language 'russian' is not a code like ru or en-us"),
    ({"category": "Politics"}, "channel category 'Politics' is not Apple's"),
    ({"subcategory": "Politics", "category": "Arts"}, "subcategory 'Politics' is not under 'Arts'"),
    ({"explicit": "no"}, "channel explicit must be true or false"),
    ({"author": ""}, "channel author is empty"),
    ({"owner_name": " "}, "channel owner name is empty"),
    ({"owner_email": "podcast"}, "channel owner email 'podcast' is invalid"),
    ({"show_type": "daily"}, "channel type 'daily' is not episodic or serial"),
    ({"link": "example.org"}, "channel link 'example.org' is not an absolute http(s) URL"),
    ({"feed_url": "ftp://example.org/feed.xml"}, "channel feed URL 'ftp://"),
    ({"feed_url": "https://example.org/лента.xml"}, "is not an absolute http(s) URL"),
    ({"link": "https://example.org/a b"}, "is not an absolute http(s) URL"),
    ({"link": "http://[example.org/"}, "is not an absolute http(s) URL"),
    ({"image_url": "https://example.org/cover.gif"}, "must end in .jpg, .jpeg or .png"),
    ({"image_url": ""}, "channel image '' is not an absolute http(s) URL"),
]


@pytest.mark.parametrize(("changes", "message"), CHANNEL_ERRORS)
def test_invalid_channel_raises_feed_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedError, match=re.escape(message)) as caught:
        build_feed(make_channel(**changes), [make_item(1)])
    assert "\n" not in str(caught.value)


ITEM_ERRORS = [
    ({"title": " \t"}, "episode 'radiodesk-0001' title is empty"),
    ({"guid": ""}, "episode '' guid is empty"),
    ({"guid": " g1"}, "guid starts or ends with whitespace"),
    ({"published": datetime(2026, 3, 1, 12, 0)}, "publication date has no time zone"),
    ({"enclosure_length": 0}, "enclosure length 0 is not a size in bytes"),
    ({"enclosure_length": -5}, "enclosure length -5 is not a size in bytes"),
    ({"enclosure_length": True}, "enclosure length True is not a size in bytes"),
    ({"enclosure_length": 1.5}, "enclosure length 1.5 is not a size in bytes"),
    ({"duration_s": float("nan")}, "duration nan is not a number of seconds"),
    ({"duration_s": -1.0}, "duration -1.0 is not a number of seconds"),
    ({"season": 0}, "season must be 1 or more"),
    ({"episode": 0}, "episode number must be 1 or more"),
    ({"explicit": "yes"}, "episode 'radiodesk-0001' explicit must be true or false"),
    ({"persons": (Person(name=" "),)}, "a person has no name or role"),
    ({"persons": (Person(name="Иван", role=""),)}, "a person has no name or role"),
    ({"enclosure_url": "https://cdn.example.org/e.wav"}, "enclosure must end in one of .mp3"),
    ({"enclosure_url": "https://cdn.example.org/e"}, "enclosure must end in one of .mp3"),
    ({"enclosure_type": "audio/x-m4a"}, "enclosure type 'audio/x-m4a' does not match .mp3"),
    ({"enclosure_url": "/radio/e.mp3"}, "enclosure '/radio/e.mp3' is not an absolute"),
    ({"link": "/episodes/1"}, "link '/episodes/1' is not an absolute http(s) URL"),
    ({"image_url": "https://cdn.example.org/art.webp"}, "must end in .jpg, .jpeg or .png"),
]


@pytest.mark.parametrize(("changes", "message"), ITEM_ERRORS)
def test_invalid_item_raises_feed_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedError, match=re.escape(message)) as caught:
        build_feed(make_channel(), [make_item(2), make_item(1, **changes)])
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"guid": "radiodesk-0001"}, "guid is used by another episode"),
        ({"enclosure_url": "https://cdn.example.org/radio/episode-1.mp3"}, "enclosure URL is used"),
    ],
)
def test_duplicates_raise_feed_error(second: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedError, match=message):
        build_feed(make_channel(), [make_item(1), make_item(2, **second)])


def test_serial_show_needs_episode_numbers() -> None:
    with pytest.raises(FeedError, match=r"has no episode number \(a serial show needs one\)"):
        build_feed(make_channel(show_type="serial"), [make_item(1, episode=None)])


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
