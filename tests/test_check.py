"""Tests for radiodesk.check: deliberately broken shows, each caught as the right Problem."""

from __future__ import annotations

import dataclasses
import io
import re
import socket
import socketserver
import threading
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

from clirun import run
from radiodesk.check import (
    Problem,
    Response,
    check_feed,
    check_feeds,
    check_images,
    check_loudness,
    check_urls,
    format_report,
    has_errors,
    http_fetcher,
    read_feed,
    summary,
)
from radiodesk.errors import FeedError
from radiodesk.publish.feed_model import Channel, Funding, Item, Location, Person, Transcript
from radiodesk.publish.feed_writer import build_feeds
from radiodesk.show.settings import Settings
from radiodesk.spec import ITUNES_NS, PODCAST_NS
from s3server import PREFIX, Bucket

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": "http://www.w3.org/2005/Atom"}
MSK = timezone(timedelta(hours=3))
CDN = "https://cdn.example.org/radio"
TITLE = "Алиханов о сотрудничестве с заводами"


def build_feed(channel: Channel, items: list[Item]) -> bytes:
    """Write one document, unpaged (check judges it here, not the publish gate)."""
    return build_feeds(channel, items, page_size=None)["feed.xml"]


def make_channel(base: str = CDN, **changes: Any) -> Channel:
    channel = Channel(
        title="Комментарии: интервью",
        description="Интервью и выступления в эфире радио.",
        language="ru",
        link="https://example.org/",
        feed_url=f"{base}/feed.xml",
        author="Радио «Комментарии»",
        owner_name="Иван Петров",
        owner_email="podcast@example.org",
        category="News",
        subcategory="Politics",
        explicit=False,
        image_url=f"{base}/cover.jpg",
        locked=True,
        locked_owner="podcast@example.org",
        funding=(Funding(url="https://example.org/donate", text="Поддержать"),),
        location=Location(name="Калининград", geo="geo:54.71,20.51", osm="R1674442"),
        persons=(Person(name="Иван Петров"),),
    )
    return dataclasses.replace(channel, **changes)


def make_item(number: int, base: str = CDN, **changes: Any) -> Item:
    item = Item(
        guid=f"radiodesk-{number:04d}",
        title=TITLE if number == 3 else f"Выпуск {number}",
        description="Первый абзац.\n\nВторой абзац.",
        published=datetime(2026, 3, number, 18, 30, 5, tzinfo=MSK),
        link=None,
        enclosure_url=f"{base}/episode-{number}.mp3",
        enclosure_length=1_000_000 + number,
        duration_s=1234.0,
        season=1,
        episode=number,
        explicit=False,
        image_url=f"{base}/cover.jpg",
        persons=(Person(name="Антон Алиханов", role="guest"),),
        transcripts=(Transcript(url=f"{base}/t-{number}.vtt", type="text/vtt"),),
        chapters_url=f"{base}/chapters-{number}.json",
    )
    return dataclasses.replace(item, **changes)


def good_feed(**changes: Any) -> bytes:
    return build_feed(make_channel(**changes), [make_item(n) for n in (1, 2, 3)])


def mutate(feed: bytes, change: Callable[[Any], object]) -> bytes:
    """Parse the feed, let `change` edit the tree, serialize it again."""
    root = etree.fromstring(feed)
    change(root)
    result: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return result


def first(root: Any, path: str) -> Any:
    return root.xpath(path, namespaces=NS)[0]


def set_text(path: str, text: str) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        first(root, path).text = text

    return change


def set_attr(path: str, name: str, value: str | None) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        element = first(root, path)
        if value is None:
            del element.attrib[name]
        else:
            element.set(name, value)

    return change


def remove(path: str) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        for element in root.xpath(path, namespaces=NS):
            element.getparent().remove(element)

    return change


def add(path: str, tag: str, text: str | None = None, **attrs: str) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        element = etree.SubElement(first(root, path), tag, attrib=attrs)
        element.text = text

    return change


def itunes(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


def podcast(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


def assert_found(problems: list[Problem], level: str, where: str, message: str) -> None:
    matching = [
        p for p in problems if p.level == level and where in p.where and message in p.message
    ]
    assert matching, format_report(problems)


ITEM_T = f"feed.xml item {TITLE!r}"
ITEM_2 = "feed.xml item 'Выпуск 2'"
CHANNEL = "feed.xml channel"
FIRST_ITEM = "/rss/channel/item[1]"


def test_a_feed_built_by_radiodesk_has_no_problems() -> None:
    assert check_feed(good_feed(), previous=good_feed()) == []


def test_a_paged_feed_built_by_radiodesk_has_no_problems() -> None:
    items = [make_item(n) for n in range(1, 8)]
    pages = build_feeds(make_channel(), items, page_size=3)
    assert check_feeds(pages, previous=pages) == []


BROKEN = [
    # (change, level, where, message)
    (remove("/rss/channel/itunes:image"), "error", CHANNEL, "has no itunes:image"),
    (set_attr("/rss/channel/itunes:image", "href", f"{CDN}/c.gif"), "error", CHANNEL, "c.gif"),
    (set_attr("/rss/channel/itunes:image", "href", "c.jpg"), "error", CHANNEL, "'c.jpg' is not"),
    (set_text("/rss/channel/itunes:explicit", "yes"), "error", CHANNEL, "itunes:explicit 'yes'"),
    (set_text("/rss/channel/itunes:explicit", "clean"), "error", CHANNEL, "must be true or false"),
    (remove("/rss/channel/itunes:explicit"), "error", CHANNEL, "has no itunes:explicit"),
    (set_attr("//itunes:category", "text", "Politics"), "error", CHANNEL, "category 'Politics'"),
    (set_attr("//itunes:category", "text", "news"), "error", CHANNEL, "category 'news' is not"),
    (set_attr("//itunes:category", "text", "Arts"), "error", CHANNEL, "'Politics' is not under"),
    (remove("//itunes:category"), "error", CHANNEL, "has no itunes:category"),
    (set_text("/rss/channel/language", "russian"), "error", CHANNEL, "language 'russian'"),
    (remove("/rss/channel/language"), "error", CHANNEL, "language '' is not"),
    (set_text("/rss/channel/title", " "), "error", CHANNEL, "title is empty"),
    (set_text("/rss/channel/description", ""), "error", CHANNEL, "description is empty"),
    (set_text("/rss/channel/description", "я" * 2001), "error", CHANNEL, "4002 bytes"),
    (set_text("/rss/channel/itunes:type", "daily"), "error", CHANNEL, "itunes:type 'daily'"),
    (remove("/rss/channel/itunes:author"), "warning", CHANNEL, "has no itunes:author"),
    (remove("/rss/channel/itunes:owner"), "warning", CHANNEL, "itunes:owner/itunes:email"),
    (add("/rss/channel", itunes("block"), "yes"), "warning", CHANNEL, "Apple reads only Yes"),
    (add("/rss/channel", itunes("block"), "Yes"), "warning", CHANNEL, "hides the whole show"),
    (
        add("/rss/channel", itunes("new-feed-url"), "https://n.org/f.xml"),
        "warning",
        CHANNEL,
        "n.org",
    ),
    (add("/rss/channel", itunes("new-feed-url"), "f.xml"), "error", CHANNEL, "'f.xml' is not"),
    (set_text("/rss/channel/title", "Т" * 256), "warning", CHANNEL, "Apple cuts at 255"),
    (set_text("/rss/channel/title", " Т "), "warning", CHANNEL, "starts or ends with whitespace"),
    # items
    (set_text(f"{FIRST_ITEM}/title", ""), "error", "feed.xml item #1", "title is empty"),
    (remove(f"{FIRST_ITEM}/guid"), "error", ITEM_T, "has no guid"),
    (set_text(f"{FIRST_ITEM}/guid", "radiodesk-0002"), "error", ITEM_2, "also the guid of"),
    (remove(f"{FIRST_ITEM}/enclosure"), "error", ITEM_T, "has no enclosure"),
    (
        add(FIRST_ITEM, "enclosure", url=f"{CDN}/x.mp3", length="20000", type="audio/mpeg"),
        "error",
        ITEM_T,
        "has 2 enclosures",
    ),
    (set_attr(f"{FIRST_ITEM}/enclosure", "length", "0"), "error", ITEM_T, "length 0 is not a byte"),
    (
        set_attr(f"{FIRST_ITEM}/enclosure", "length", "1.5 MB"),
        "error",
        ITEM_T,
        "length 1.5 MB is not",
    ),
    (set_attr(f"{FIRST_ITEM}/enclosure", "length", "-5"), "error", ITEM_T, "-5 is not a byte"),
    (set_attr(f"{FIRST_ITEM}/enclosure", "length", None), "error", ITEM_T, "length missing"),
    (set_attr(f"{FIRST_ITEM}/enclosure", "length", "1000"), "warning", ITEM_T, "AntennaPod"),
    (set_attr(f"{FIRST_ITEM}/enclosure", "type", "audio/mp3"), "error", ITEM_T, "'audio/mp3'"),
    (set_attr(f"{FIRST_ITEM}/enclosure", "url", f"{CDN}/e.wav"), "error", ITEM_T, ".wav is not"),
    (set_attr(f"{FIRST_ITEM}/enclosure", "url", f"{CDN}/выпуск.mp3"), "error", ITEM_T, "ASCII"),
    (set_attr(f"{FIRST_ITEM}/enclosure", "url", "/e.mp3"), "error", ITEM_T, "absolute ASCII"),
    (
        set_attr(f"{FIRST_ITEM}/enclosure", "url", f"{CDN}/episode-2.mp3"),
        "error",
        ITEM_2,
        "is also the enclosure of",
    ),
    (set_text(f"{FIRST_ITEM}/pubDate", "2026-03-01T18:30:05+03:00"), "error", ITEM_T, "RFC 2822"),
    (set_text(f"{FIRST_ITEM}/pubDate", "Вс, 01 мар 2026 18:30:05 +0300"), "error", ITEM_T, "RFC"),
    (set_text(f"{FIRST_ITEM}/pubDate", "Sun, 01 Mar 2026 18:30:05"), "error", ITEM_T, "RFC 2822"),
    (set_text(f"{FIRST_ITEM}/pubDate", "Sun, 31 Feb 2026 18:30:05 +0300"), "error", ITEM_T, "RFC"),
    (
        set_text(f"{FIRST_ITEM}/pubDate", "Mon, 01 Mar 2026 18:30:05 +0300"),
        "warning",
        ITEM_T,
        "weekday",
    ),
    (remove(f"{FIRST_ITEM}/pubDate"), "warning", ITEM_T, "has no pubDate"),
    (set_text(f"{FIRST_ITEM}/itunes:duration", "20 minutes"), "error", ITEM_T, "itunes:duration"),
    (set_text(f"{FIRST_ITEM}/itunes:duration", "1:75"), "error", ITEM_T, "not seconds or H:MM:SS"),
    (remove(f"{FIRST_ITEM}/itunes:duration"), "warning", ITEM_T, "has no itunes:duration"),
    (set_text(f"{FIRST_ITEM}/itunes:explicit", "no"), "error", ITEM_T, "itunes:explicit 'no'"),
    (set_text(f"{FIRST_ITEM}/itunes:episodeType", "Full"), "error", ITEM_T, "episodeType 'Full'"),
    (set_text(f"{FIRST_ITEM}/itunes:season", "0"), "error", ITEM_T, "itunes:season '0'"),
    (set_text(f"{FIRST_ITEM}/itunes:episode", "3a"), "error", ITEM_T, "itunes:episode '3a'"),
    (set_attr(f"{FIRST_ITEM}/itunes:image", "href", f"{CDN}/a.webp"), "error", ITEM_T, "a.webp"),
    (set_text(f"{FIRST_ITEM}/description", "я" * 2001), "warning", ITEM_T, "Apple shows 4000"),
    # Podcasting 2.0
    (set_text("//podcast:guid", "feed-1"), "error", CHANNEL, "podcast:guid 'feed-1' is not a UUID"),
    (
        set_text("//podcast:guid", "4a7e0ef8-4b54-4c16-9a2c-5bd7b4f1d3a1"),
        "warning",
        CHANNEL,
        "not the UUIDv5",
    ),
    (add("/rss/channel", podcast("guid"), "x"), "error", CHANNEL, "more than one podcast:guid"),
    (set_text("//podcast:locked", "true"), "error", CHANNEL, "must be yes or no"),
    (set_attr("//podcast:locked", "owner", "me"), "warning", CHANNEL, "owner 'me'"),
    (set_text("//podcast:medium", "radio"), "error", CHANNEL, "podcast:medium 'radio'"),
    (set_attr("//podcast:funding", "url", None), "error", CHANNEL, "podcast:funding has no url"),
    (set_text("//podcast:funding", ""), "warning", CHANNEL, "podcast:funding has no text"),
    (set_text("//podcast:funding", "Д" * 129), "warning", CHANNEL, "apps may cut it at 128"),
    (set_text("/rss/channel/podcast:person", " "), "error", CHANNEL, "podcast:person has no text"),
    (set_attr("/rss/channel/podcast:person", "img", "me.jpg"), "error", CHANNEL, "img 'me.jpg'"),
    (set_attr("/rss/channel/podcast:location", "geo", "54.7,20.5"), "error", CHANNEL, "geo '54.7"),
    (set_attr("/rss/channel/podcast:location", "osm", "123"), "error", CHANNEL, "osm '123'"),
    (set_attr("/rss/channel/podcast:location", "rel", "about"), "error", CHANNEL, "rel 'about'"),
    (set_attr("/rss/channel/podcast:location", "country", "RUS"), "error", CHANNEL, "'RUS'"),
    (set_text("/rss/channel/podcast:location", ""), "error", CHANNEL, "location has no text"),
    (set_text(f"{FIRST_ITEM}/podcast:season", "one"), "error", ITEM_T, "podcast:season 'one'"),
    (set_text(f"{FIRST_ITEM}/podcast:episode", "1a"), "error", ITEM_T, "podcast:episode '1a'"),
    (
        set_attr(f"{FIRST_ITEM}/podcast:transcript", "type", None),
        "error",
        ITEM_T,
        "podcast:transcript has no type",
    ),
    (set_attr(f"{FIRST_ITEM}/podcast:transcript", "url", None), "error", ITEM_T, "has no url"),
    (set_attr(f"{FIRST_ITEM}/podcast:transcript", "type", "text/srt"), "warning", ITEM_T, "srt"),
    (set_attr(f"{FIRST_ITEM}/podcast:transcript", "rel", "subs"), "warning", ITEM_T, "rel 'subs'"),
    (set_attr(f"{FIRST_ITEM}/podcast:transcript", "language", "рус"), "warning", ITEM_T, "'рус'"),
    (set_attr(f"{FIRST_ITEM}/podcast:chapters", "type", None), "error", ITEM_T, "chapters has no"),
    (set_attr(f"{FIRST_ITEM}/podcast:chapters", "url", "c.json"), "error", ITEM_T, "'c.json'"),
    (
        add(FIRST_ITEM, podcast("chapters"), url=f"{CDN}/c.json", type="application/json+chapters"),
        "error",
        ITEM_T,
        "more than one podcast:chapters",
    ),
    (
        add("/rss/channel", "{http://www.w3.org/2005/Atom}link", rel="next", href="feed-2.xml"),
        "error",
        CHANNEL,
        "rel=next has no absolute URL",
    ),
    (
        add("/rss/channel", "{http://www.w3.org/2005/Atom}link", rel="next", href=f"{CDN}/f2.xml"),
        "error",
        CHANNEL,
        "paged feed has no atom:link rel=first",
    ),
]


@pytest.mark.parametrize(("change", "level", "where", "message"), BROKEN)
def test_check_feed_finds_each_broken_value(
    change: Callable[[Any], object], level: str, where: str, message: str
) -> None:
    problems = check_feed(mutate(good_feed(), change))
    assert_found(problems, level, where, message)


@pytest.mark.parametrize(
    ("change", "level"),
    [
        (set_text(f"{FIRST_ITEM}/description", "я" * 2001), "warning"),
        (set_text("//podcast:funding", ""), "warning"),
        (set_text(f"{FIRST_ITEM}/pubDate", "Mon, 01 Mar 2026 18:30:05 +0300"), "warning"),
    ],
)
def test_warnings_alone_are_not_errors(change: Callable[[Any], object], level: str) -> None:
    problems = check_feed(mutate(good_feed(), change))
    assert {p.level for p in problems} == {level}
    assert not has_errors(problems)


LAPSES = [
    # (change, where, message): what apps put up with, but radiodesk's writer never makes
    (remove("/rss/channel/itunes:author"), CHANNEL, "has no itunes:author"),
    (remove("//itunes:owner/itunes:name"), CHANNEL, "has no itunes:owner/itunes:name"),
    (set_text("//itunes:owner/itunes:email", "podcast"), CHANNEL, "'podcast' is not an e-mail"),
    (set_text("/rss/channel/link", "example.org"), CHANNEL, "link 'example.org' is not an abs"),
    (set_attr("//atom:link[@rel='self']", "href", "feed.xml"), CHANNEL, "rel=self 'feed.xml'"),
    (add("/rss/channel", itunes("new-feed-url"), f"{CDN}/feed.xml"), CHANNEL, "feed's own URL"),
    (set_text(f"{FIRST_ITEM}/guid", " radiodesk-0003"), ITEM_T, "starts or ends with whitespace"),
    (add(FIRST_ITEM, "link", "/episodes/3"), ITEM_T, "link '/episodes/3' is not an absolute"),
    (set_attr(f"{FIRST_ITEM}/podcast:person", "role", " "), ITEM_T, "'Иван Петров' has no role"),
    (set_attr(f"{FIRST_ITEM}/podcast:season", "name", ""), ITEM_T, "podcast:season name is empty"),
    (set_text("//podcast:funding", ""), CHANNEL, "podcast:funding has no text"),
    (set_attr("//podcast:locked", "owner", "me"), CHANNEL, "owner 'me'"),
    (set_attr(f"{FIRST_ITEM}/podcast:transcript", "rel", "subs"), ITEM_T, "rel 'subs'"),
    (set_attr(f"{FIRST_ITEM}/podcast:transcript", "type", "text/srt"), ITEM_T, "'text/srt'"),
    (add(FIRST_ITEM, podcast("soundbite"), "Ж" * 129, startTime="1", duration="20"), ITEM_T,
     "title is over 128 characters"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "where", "message"), LAPSES)
def test_a_lapse_is_a_warning_but_refused_before_publishing(
    change: Callable[[Any], object], where: str, message: str
) -> None:
    feed = mutate(good_feed(), change)
    assert_found(check_feed(feed), "warning", where, message)
    assert_found(check_feed(feed, strict=True), "error", where, message)
    assert not has_errors(check_feed(feed))


def test_a_feed_built_by_radiodesk_passes_the_strict_checks() -> None:
    assert check_feed(good_feed(), previous=good_feed(), strict=True) == []


def test_html_in_a_title_is_fine() -> None:
    title = "<b>Интервью</b> & «цитата»"
    feed = build_feed(make_channel(), [make_item(1, title=title)])
    assert check_feed(feed) == []


def test_serial_show_needs_itunes_episode_on_every_item() -> None:
    feed = mutate(good_feed(show_type="serial"), remove(f"{FIRST_ITEM}/itunes:episode"))
    assert_found(check_feed(feed), "error", ITEM_T, "a serial show needs one")


def test_future_pub_date_is_a_warning_when_now_is_given() -> None:
    now = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # after Выпуск 2, before the newest
    problems = check_feed(good_feed(), now=now)
    assert [(p.level, p.where) for p in problems] == [("warning", ITEM_T)]
    assert "in the future" in problems[0].message


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"<rss version='2.0'><channel><title>x</title>", "is not well-formed XML"),
        (b"", "is not well-formed XML"),
        (b"\xff\xfe<\x00r\x00", "is not UTF-8"),
        (b"<?xml version='1.0' encoding='windows-1251'?><rss/>", "encoding windows-1251"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "root is <{http://www.w3.org/2005"),
        (b"<rss version='0.91'><channel/></rss>", 'not <rss version="2.0">'),
        (b"<rss version='2.0'/>", "has no <channel>"),
    ],
)
def test_documents_that_are_not_rss_feeds(xml: bytes, message: str) -> None:
    assert_found(check_feed(xml), "error", "feed.xml", message)


def test_itunes_namespace_must_be_exact() -> None:
    wrong = ITUNES_NS.replace("dtds/podcast", "DTDs/Podcast")
    feed = good_feed().replace(ITUNES_NS.encode(), wrong.encode())
    problems = check_feed(feed)
    assert_found(problems, "error", "feed.xml", f"declares {wrong}, not {ITUNES_NS}")
    assert_found(problems, "error", CHANNEL, "has no itunes:image")  # Apple sees none of them


def test_missing_itunes_namespace() -> None:
    feed = b"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel/></rss>"
    assert_found(check_feed(feed), "error", "feed.xml", "has no iTunes namespace")


def padded(feed: bytes, size: int) -> bytes:
    comment = b"<!--" + b"x" * (size - len(feed)) + b"-->"
    return feed.replace(b"<channel>", b"<channel>" + comment, 1)


def test_feed_over_3_mb_is_a_warning_and_over_5_mb_an_error() -> None:
    big = check_feed(padded(good_feed(), 3_100_000))
    assert [(p.level, p.where) for p in big] == [("warning", "feed.xml")]
    assert "some apps refuse feeds over 3,000,000" in big[0].message
    huge = check_feed(padded(good_feed(), 5_100_000))
    assert [(p.level, p.where) for p in huge] == [("error", "feed.xml")]


# --- guid stability against the live feed ---------------------------------------------------------


def test_changed_guid_for_the_same_audio_is_an_error() -> None:
    current = build_feed(make_channel(), [make_item(3, guid="new-guid-3"), make_item(2)])
    problems = check_feed(current, previous=good_feed())
    assert [(p.level, p.where) for p in problems] == [("error", ITEM_T)]
    assert problems[0].message.startswith("guid changed from 'radiodesk-0003' to 'new-guid-3'")


def test_changed_guid_with_reencoded_audio_is_caught_by_title_and_date() -> None:
    item = make_item(3, guid="new-guid-3", enclosure_url=f"{CDN}/episode-3-v2.mp3")
    problems = check_feed(build_feed(make_channel(), [item]), previous=good_feed())
    assert_found(problems, "error", ITEM_T, "guid changed from 'radiodesk-0003'")


def test_new_guid_for_an_old_title_on_another_day_is_a_warning() -> None:
    item = make_item(9, title=TITLE, guid="radiodesk-0009")
    problems = check_feed(build_feed(make_channel(), [item]), previous=good_feed())
    assert [(p.level, p.where) for p in problems] == [("warning", ITEM_T)]
    assert "keep the old guid" in problems[0].message


def test_removed_and_new_episodes_are_fine() -> None:
    current = build_feed(make_channel(), [make_item(2), make_item(3), make_item(4)])
    assert check_feed(current, previous=good_feed()) == []


def test_changed_podcast_guid_is_an_error() -> None:
    guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    problems = check_feed(good_feed(podcast_guid=guid), previous=good_feed())
    assert [(p.level, p.where) for p in problems] == [("error", CHANNEL)]
    assert problems[0].message.endswith(f"to {guid}")


def test_a_broken_live_feed_does_not_stop_the_check() -> None:
    assert check_feed(good_feed(), previous=b"<rss") == []


# --- paged archives ---------------------------------------------------------------------------


def pages_of(count: int, size: int) -> dict[str, bytes]:
    return build_feeds(make_channel(), [make_item(n) for n in range(1, count + 1)], page_size=size)


def test_guid_moving_to_an_older_page_is_stable() -> None:
    before = pages_of(6, 3)
    after = build_feeds(make_channel(), [make_item(n) for n in range(1, 8)], page_size=3)
    assert check_feeds(after, previous=before) == []


def test_guid_repeated_on_two_pages_is_an_error() -> None:
    pages = pages_of(6, 3)
    pages["feed-2.xml"] = mutate(pages["feed-2.xml"], set_text("//item[1]/guid", "radiodesk-0006"))
    assert_found(check_feeds(pages), "error", "feed-2.xml item", "is also the guid of feed.xml")


def test_page_not_reachable_through_next_is_an_error() -> None:
    pages = pages_of(9, 3)
    pages["feed-2.xml"] = mutate(pages["feed-2.xml"], remove("//atom:link[@rel='next']"))
    problems = check_feeds(pages)
    assert_found(problems, "error", "feed-3.xml", "is not reachable through rel=next")
    assert_found(problems, "error", CHANNEL, "rel=last is not the last page feed-2.xml")


def test_next_link_to_a_missing_page_is_an_error() -> None:
    pages = pages_of(9, 3)
    del pages["feed-3.xml"]
    assert_found(check_feeds(pages), "error", "feed-2.xml channel", "rel=next")


# --- URLs, against a real HTTP server ------------------------------------------------------------


@dataclasses.dataclass
class Stored:
    body: bytes
    content_type: str
    ranges: bool = True
    length: int | None = None  # a Content-Length that lies
    redirect: str | None = None
    content_range: str | None = None  # a Content-Range that lies


class StoreHandler(BaseHTTPRequestHandler):
    """Serves `server.objects` like a store or CDN, with Range support unless turned off."""

    server: StoreServer

    def do_HEAD(self) -> None:
        self.answer(send_body=False)

    def do_GET(self) -> None:
        self.answer(send_body=True)

    def answer(self, *, send_body: bool) -> None:
        self.server.log.append((self.command, self.path))
        stored = self.server.objects.get(self.path)
        if stored is None:
            self.send_error(404)
            return
        if stored.redirect:
            self.send_response(302)
            self.send_header("Location", stored.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body, status = stored.body, 200
        wanted = self.headers.get("Range")
        if wanted and stored.ranges:
            start, end = (int(n) for n in wanted.removeprefix("bytes=").split("-"))
            body, status = stored.body[start : end + 1], 206
        self.send_response(status)
        self.send_header("Content-Type", stored.content_type)
        self.send_header("Content-Length", str(stored.length or len(body)))
        if status == 206:
            total = len(stored.body)
            self.send_header("Content-Range", stored.content_range or f"bytes 0-1/{total}")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class StoreServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the check opens 8 connections at once; a full backlog costs 1 s

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StoreHandler)
        self.objects: dict[str, Stored] = {}
        self.log: list[tuple[str, str]] = []

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address, which can take seconds."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def store() -> Iterator[StoreServer]:
    server = StoreServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


AUDIO = bytes(range(256)) * 80  # 20,480 bytes


def publish_show(store: StoreServer) -> bytes:
    """Put a good show in the store and return its feed."""
    base = store.base
    items = [make_item(n, base=base, enclosure_length=len(AUDIO)) for n in (2, 3)]
    feed = build_feed(make_channel(base=base), items)
    store.objects = {
        "/feed.xml": Stored(body=feed, content_type="application/rss+xml; charset=utf-8"),
        "/cover.jpg": Stored(body=b"\xff\xd8jpeg", content_type="image/jpeg"),
    }
    for n in (2, 3):
        store.objects[f"/episode-{n}.mp3"] = Stored(body=AUDIO, content_type="audio/mpeg")
        store.objects[f"/t-{n}.vtt"] = Stored(body=b"WEBVTT\n", content_type="text/vtt")
        store.objects[f"/chapters-{n}.json"] = Stored(body=b"{}", content_type="application/json")
    return feed


def test_a_good_store_passes(store: StoreServer) -> None:
    feed = publish_show(store)
    assert check_urls(feed, fetch=http_fetcher(timeout_s=5)) == []
    # The cover is shared by the channel and both items: asked for once, HEAD then Range.
    assert [entry for entry in store.log if entry[1] == "/cover.jpg"] == [
        ("HEAD", "/cover.jpg"),
        ("GET", "/cover.jpg"),
    ]


URL_FAULTS = [
    # (path, change, where, message)
    ("/episode-3.mp3", {"content_type": "audio/mp3"}, ITEM_T, "is served as 'audio/mp3', not"),
    ("/episode-3.mp3", {"body": AUDIO[:-1]}, ITEM_T, "is 20479 bytes, but the feed says 20480"),
    ("/episode-3.mp3", {"ranges": False}, ITEM_T, "ignores Range with 200, not 206"),
    ("/episode-3.mp3", {"content_range": "bytes 0-1/99"}, ITEM_T, "disagrees with 20480 bytes"),
    ("/episode-3.mp3", {"content_range": "0-1"}, ITEM_T, "answers Range with Content-Range '0-1'"),
    ("/cover.jpg", {"content_type": "image/png"}, CHANNEL, "image http"),
    ("/t-2.vtt", {"content_type": "text/plain"}, ITEM_2, "is served as 'text/plain', not text/vtt"),
    ("/chapters-2.json", {"content_type": "text/html"}, ITEM_2, "chapters http"),
    ("/feed.xml", {"content_type": "text/html"}, CHANNEL, "feed http"),
]


@pytest.mark.parametrize(("path", "change", "where", "message"), URL_FAULTS)
def test_check_urls_finds_each_fault(
    store: StoreServer, path: str, change: dict[str, Any], where: str, message: str
) -> None:
    feed = publish_show(store)
    store.objects[path] = dataclasses.replace(store.objects[path], **change)
    problems = check_urls(feed, fetch=http_fetcher(timeout_s=5))
    assert len(problems) == 1, format_report(problems)
    assert_found(problems, "error", where, message)


def test_missing_object_is_a_404(store: StoreServer) -> None:
    feed = publish_show(store)
    del store.objects["/episode-2.mp3"]
    problems = check_urls(feed, fetch=http_fetcher(timeout_s=5), workers=1)
    assert [(p.level, p.where) for p in problems] == [("error", ITEM_2)]
    assert problems[0].message == f"enclosure {store.base}/episode-2.mp3 answered HEAD with 404"


def test_redirects_are_followed_and_head_stays_head(store: StoreServer) -> None:
    feed = publish_show(store)
    store.objects["/moved.mp3"] = store.objects["/episode-3.mp3"]
    store.objects["/episode-3.mp3"] = Stored(body=b"", content_type="", redirect="/moved.mp3")
    assert check_urls(feed, fetch=http_fetcher(timeout_s=5)) == []
    assert ("HEAD", "/moved.mp3") in store.log
    assert ("GET", "/moved.mp3") in store.log


def test_redirect_loop_is_reported(store: StoreServer) -> None:
    feed = publish_show(store)
    store.objects["/episode-3.mp3"] = Stored(body=b"", content_type="", redirect="/episode-3.mp3")
    problems = check_urls(feed, fetch=http_fetcher(timeout_s=5))
    assert_found(problems, "error", ITEM_T, "cannot be reached: more than 5 redirects")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_unreachable_server_is_reported() -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    feed = build_feed(make_channel(base=base), [make_item(3, base=base)])
    problems = check_urls(feed, fetch=http_fetcher(timeout_s=2))
    assert {p.level for p in problems} == {"error"}
    assert_found(problems, "error", ITEM_T, f"enclosure {base}/episode-3.mp3 cannot be reached")


@dataclasses.dataclass
class FakeFetcher:
    """Answers from a table; what the real server cannot easily do wrong."""

    head_answer: Response
    range_answer: Response | OSError

    def head(self, url: str) -> Response:
        return self.head_answer

    def get_range(self, url: str, first: int, last: int) -> Response:
        if isinstance(self.range_answer, OSError):
            raise self.range_answer
        return self.range_answer


def test_missing_content_length_and_failing_range() -> None:
    feed = build_feed(make_channel(image_url=None, persons=()), [])
    fetch = FakeFetcher(
        head_answer=Response(status=200, headers={"content-type": "application/rss+xml"}),
        range_answer=OSError("connection reset"),
    )
    problems = check_urls(feed, fetch=fetch)
    assert [p.message.split(" ", 2)[2] for p in problems] == [
        "sends no Content-Length to HEAD",
        "fails a Range request: connection reset",
    ]


def test_range_refused_outright() -> None:
    feed = build_feed(make_channel(image_url=None), [])
    headers = {"content-type": "application/rss+xml", "content-length": "10"}
    fetch = FakeFetcher(
        head_answer=Response(status=200, headers=headers),
        range_answer=Response(status=416),
    )
    assert_found(check_urls(feed, fetch=fetch), "error", CHANNEL, "answers Range with 416")


def test_unparseable_feed_is_one_problem() -> None:
    fetch = FakeFetcher(head_answer=Response(status=200), range_answer=Response(status=206))
    problems = check_urls(b"<rss", fetch=fetch)
    assert [(p.level, p.where) for p in problems] == [("error", "feed.xml")]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/x.mp3", "is not an http(s) URL"),
        ("http:///x.mp3", "is not an http(s) URL"),
        ("http://127.0.0.1:port/x.mp3", "has a bad port"),
        ("https://127.0.0.1:{port}/x.mp3", "Connection refused"),
    ],
)
def test_fetcher_turns_every_failure_into_os_error(url: str, message: str) -> None:
    with pytest.raises(OSError, match=re.escape(message)):
        http_fetcher(timeout_s=2).head(url.format(port=closed_port()))


def test_fetcher_refuses_a_non_ascii_path(store: StoreServer) -> None:
    with pytest.raises(OSError, match="bad HTTP exchange"):
        http_fetcher(timeout_s=2).head(f"{store.base}/выпуск.mp3")


# --- loudness and the report --------------------------------------------------------------------


def test_loudness_within_target_passes() -> None:
    measured = [("vypusk-1", -16.4, -1.5), ("vypusk-2", -15.5, -1.0)]
    assert check_loudness(measured, target_lufs=-16, tolerance_lu=0.5, ceiling_dbtp=-1) == []


@pytest.mark.parametrize(
    ("integrated", "peak", "message"),
    [
        (-14.2, -1.5, "integrated loudness -14.2 LUFS is +1.8 LU from the target -16.0 LUFS"),
        (-23.0, -6.0, "-7.0 LU from the target"),
        (-16.0, -0.3, "true peak -0.3 dBTP is above the ceiling -1.0"),
        (float("-inf"), -70.0, "loudness cannot be measured; is the file silent?"),
        (-16.0, float("nan"), "loudness cannot be measured"),
    ],
)
def test_loudness_off_target_is_an_error(integrated: float, peak: float, message: str) -> None:
    problems = check_loudness(
        [("vypusk-1", integrated, peak)], target_lufs=-16, tolerance_lu=0.5, ceiling_dbtp=-1
    )
    assert [(p.level, p.where) for p in problems] == [("error", "audio vypusk-1")]
    assert message in problems[0].message


def test_report_has_one_aligned_line_per_problem() -> None:
    problems = [
        Problem(
            level="error",
            where="feed.xml item 'Название'",
            message="enclosure length 0 is not a byte count",
        ),
        Problem(level="warning", where="feed.xml item 'Две\nстроки'", message="has no pubDate"),
    ]
    assert format_report(problems) == (
        "error   feed.xml item 'Название': enclosure length 0 is not a byte count\n"
        "warning feed.xml item 'Две строки': has no pubDate"
    )
    assert summary(problems) == "1 error, 1 warning"
    assert summary([problems[0]] * 2) == "2 errors, 0 warnings"
    assert summary([]) == "no problems"
    assert format_report([]) == ""
    assert has_errors(problems)
    assert not has_errors(problems[1:])


def test_report_of_a_real_broken_feed() -> None:
    feed = mutate(good_feed(), set_attr(f"{FIRST_ITEM}/enclosure", "length", "0"))
    assert format_report(check_feed(feed)) == (
        f"error   feed.xml item {TITLE!r}: enclosure length 0 is not a byte count"
    )


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=80,
).filter(lambda value: value.strip() != "")


@settings(max_examples=40, deadline=None)
@given(title=TEXT, description=TEXT, author=TEXT)
def test_any_feed_radiodesk_builds_passes_the_check(
    title: str, description: str, author: str
) -> None:
    channel = make_channel(title=title, author=author, description=description)
    feed = build_feed(channel, [make_item(n, title=title, description=description) for n in (1, 2)])
    assert not has_errors(check_feed(feed))


def test_read_feed_returns_the_published_bytes(store: StoreServer) -> None:
    feed = publish_show(store)
    store.objects["/old.xml"] = Stored(body=b"", content_type="", redirect="/feed.xml")
    assert read_feed(f"{store.base}/old.xml", timeout_s=5) == feed
    assert read_feed(f"{store.base}/never-published.xml", timeout_s=5) is None


def test_read_feed_refuses_a_private_or_unreachable_feed(store: StoreServer) -> None:
    store.objects["/feed.xml"] = Stored(body=b"", content_type="", redirect="/feed.xml")
    with pytest.raises(FeedError, match=r"cannot read the live feed .*more than 5 redirects"):
        read_feed(f"{store.base}/feed.xml", timeout_s=5)


def test_read_feed_reports_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(self: object, url: str, max_bytes: int) -> Response:
        return Response(status=403)

    monkeypatch.setattr("radiodesk.check.urls._HttpFetcher.get", forbidden)
    with pytest.raises(FeedError, match="answered 403") as caught:
        read_feed("https://cdn.example.org/feed.xml")
    assert caught.value.hint == "apps send no credentials: the feed must be public (Apple rule A03)"


def test_read_feed_stops_at_the_size_limit(
    store: StoreServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_show(store)
    monkeypatch.setattr("radiodesk.check.urls.MAX_FEED_DOWNLOAD_BYTES", 100)
    with pytest.raises(FeedError, match="larger than 100 bytes"):
        read_feed(f"{store.base}/feed.xml", timeout_s=5)


# --- artwork: every image the feed names, judged as add and init judge it -----------------------


def image_bytes(
    size: tuple[int, int] = (1400, 1400), mode: str = "RGB", fmt: str = "JPEG"
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "navy" if mode == "RGB" else 80).save(buffer, fmt)
    return buffer.getvalue()


def add_podcast_images(srcset: str) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        channel = first(root, "/rss/channel")
        etree.SubElement(channel, f"{{{PODCAST_NS}}}images", srcset=srcset)

    return change


SQUARE = "Apple needs 1400-3000 px square"


def test_check_images_judges_every_image_as_artwork(store: StoreServer) -> None:
    base = store.base
    items = [make_item(n, base=base, image_url=f"{base}/item-{n}.jpg") for n in (1, 2, 3, 4)]
    feed = build_feed(make_channel(base=base), items)
    feed = mutate(feed, add_podcast_images(f"{base}/cover.jpg 1400w, {base}/small.png 600w"))
    store.objects = {
        "/cover.jpg": Stored(body=image_bytes(), content_type="image/jpeg"),
        "/small.png": Stored(body=image_bytes((600, 600), fmt="PNG"), content_type="image/png"),
        "/item-1.jpg": Stored(body=image_bytes(mode="CMYK"), content_type="image/jpeg"),
        "/item-2.jpg": Stored(body=image_bytes((1400, 1000), fmt="PNG"), content_type="image/jpeg"),
        "/item-3.jpg": Stored(body=b"\xff\xd8 not really", content_type="image/jpeg"),
        # /item-4.jpg is missing: check_urls reports that, not the artwork check
    }
    problems = check_images({"feed.xml": feed}, fetch=http_fetcher(timeout_s=5))
    where = {n: f"feed.xml item {make_item(n).title!r}" for n in (1, 2, 3)}
    assert sorted((p.level, p.where, p.message) for p in problems) == sorted([
        ("error", CHANNEL, f"image {base}/small.png is 600×600 px; {SQUARE}"),
        ("error", where[1], f"image {base}/item-1.jpg is CMYK; Apple needs RGB"),
        ("error", where[2], f"image {base}/item-2.jpg is PNG but named .jpg; Apple needs .png; "
                            f"is 1400×1000 px; {SQUARE}"),
        ("error", where[3], f"image {base}/item-3.jpg is not a readable image "
                            "(not an image format Pillow knows)"),
    ])  # fmt: skip
    # Each image is fetched once, whole, though the channel and podcast:images share the cover.
    assert [entry for entry in store.log if entry[1] == "/cover.jpg"] == [("GET", "/cover.jpg")]


def test_an_image_too_large_to_fetch_is_one_error(
    store: StoreServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = store.base
    feed = build_feed(make_channel(base=base), [])
    store.objects = {"/cover.jpg": Stored(body=image_bytes(), content_type="image/jpeg")}
    monkeypatch.setattr("radiodesk.check.images.MAX_IMAGE_BYTES", 1000)
    (problem,) = check_images({"feed.xml": feed}, fetch=http_fetcher(timeout_s=5))
    assert (problem.where, problem.message) == (
        CHANNEL,
        f"image {base}/cover.jpg cannot be checked: it is larger than 1,000 bytes",
    )


def published_cover(settings: Settings) -> tuple[str, str]:
    """Return the public URL of the show's cover as the live feed names it, and its key."""
    feed = etree.fromstring(settings_feed(settings))
    url = first(feed, "/rss/channel/itunes:image").get("href")
    return url, url.removeprefix(settings.storage.public_base_url or settings.show.base_url)


def settings_feed(settings: Settings) -> bytes:
    if settings.storage.backend == "local":
        return (settings.local_store / "feed.xml").read_bytes()
    return urllib.request.urlopen(f"{settings.storage.public_base_url}/feed.xml").read()


def test_check_refuses_a_published_cover_that_breaks_the_rules(show: Settings) -> None:
    assert run("-C", show.root, "publish").status == 0
    assert run("-C", show.root, "check").out == "no problems\n"
    url, key = published_cover(show)
    (show.local_store / key.lstrip("/")).write_bytes(image_bytes((600, 600)))
    done = run("-C", show.root, "check")
    assert done.status == 1
    assert done.out.splitlines() == [
        f"error   feed.xml channel: image {url} is 600×600 px; Apple needs 1400-3000 px square",
        "1 error, 0 warnings",
    ]


def test_check_refuses_a_bad_cover_in_an_s3_store(s3_show: Settings, s3_bucket: Bucket) -> None:
    assert run("-C", s3_show.root, "publish").status == 0
    assert run("-C", s3_show.root, "check").out == "no problems\n"
    url, key = published_cover(s3_show)
    s3_bucket.client.put_object(
        Bucket=s3_bucket.name, Key=f"{PREFIX}{key}", Body=image_bytes((600, 600)),
        ContentType="image/jpeg", ACL="public-read",
    )  # fmt: skip
    done = run("-C", s3_show.root, "check")
    assert done.status == 1
    assert done.out.splitlines() == [
        f"error   feed.xml channel: image {url} is 600×600 px; Apple needs 1400-3000 px square",
        "1 error, 0 warnings",
    ]
