"""The listeners' pages: escaping, language, relative links, chapters, transcript, determinism.

Pages are parsed with lxml and queried; no string equality on whole pages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import pytest

from radiodesk.site import (
    SITE_TYPES,
    SiteChapter,
    SiteCue,
    SiteEpisode,
    SitePerson,
    SiteShow,
    SiteStationLink,
    episode_key,
    format_date,
    format_duration,
    format_position,
    paragraphs,
    render_site,
)

HOSTILE = "<script>alert(1)</script> & ]]> \"q\" 'a' <img src=x onerror=alert(2)>"
MSK = timezone(timedelta(hours=3))
FEED_URL = "https://radio.example.org/podcast/feed.xml"
APPLE = "https://podcasts.apple.com/ru/podcast/id123456789"
MEDIA_KEYS = {
    "images/cover-0123456789ab.jpg",
    "images/hostile-0123456789ab.jpg",
    "audio/alikhanov-aaaaaaaaaaaa.mp3",
    "audio/hostile-bbbbbbbbbbbb.mp3",
    "transcripts/alikhanov.vtt",
}


@pytest.fixture
def show() -> SiteShow:
    return SiteShow(
        title="Радио: актуальные комментарии",
        description="Интервью и выступления — «как есть».\n\nВторой абзац.",
        language="ru",
        author="Редакция радио",
        image_key="images/cover-0123456789ab.jpg",
        feed_key="feed.xml",
        feed_url=FEED_URL,
        links=(("Apple Podcasts", APPLE),),
    )


@pytest.fixture
def episodes() -> list[SiteEpisode]:
    older = SiteEpisode(
        slug="alikhanov",
        title="Алиханов — фрагмент выступления",
        description="Губернатор — о заводах.\nВторая строка.\n\nВторой абзац.",
        published=datetime(2026, 3, 5, 10, 0, tzinfo=MSK),
        duration_s=3725.4,
        audio_key="audio/alikhanov-aaaaaaaaaaaa.mp3",
        audio_size=29_800_000,
        image_key=None,
        persons=(
            SitePerson(name="Антон Алиханов", role="guest"),
            SitePerson(name="Ведущая Анна", role="host"),
        ),
        chapters=(
            SiteChapter(start_s=0.0, title="Начало"),
            SiteChapter(start_s=65.5, title="О заводах <b>"),
        ),
        transcript=(
            SiteCue(start_s=1.0, end_s=4.0, text="Добрый день, коллеги."),
            SiteCue(start_s=4.0, end_s=9.5, text="Поговорим о <заводах> & портах."),
            SiteCue(start_s=10, end_s=12, text="<v.loud Анна Петрова>Добрый &amp; <i>день</i>"),
            SiteCue(start_s=12, end_s=14, text="<v Анна Петрова>Ещё\nстрока</v>"),
            SiteCue(start_s=14, end_s=16, text="<00:00:14.500>Дальше &lt;b&gt;"),
        ),
        transcript_key="transcripts/alikhanov.vtt",
        peaks=(0.0, 0.25, 1.0, 0.5),
        loudness_lufs=-19.02,
    )
    newer = SiteEpisode(
        slug="hostile",
        title=HOSTILE,
        description=HOSTILE,
        published=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        duration_s=59.6,
        audio_key="audio/hostile-bbbbbbbbbbbb.mp3",
        audio_size=1_000_000,
        image_key="images/hostile-0123456789ab.jpg",
        persons=(SitePerson(name=HOSTILE, role="guest"),),
        chapters=(SiteChapter(start_s=30, title=HOSTILE),),
        peaks=(0.5,),
    )
    return [older, newer]


def parse(page: bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(page.decode("utf-8"))


def test_render_site_writes_every_page(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    pages = render_site(show, episodes)
    assert set(pages) == {
        "index.html",
        "episodes/alikhanov/index.html",
        "episodes/hostile/index.html",
        "site.css",
        "site.js",
    }
    assert all("." + key.rsplit(".", 1)[1] in SITE_TYPES for key in pages)
    assert render_site(show, list(reversed(episodes))) == pages  # deterministic, order-free


@pytest.mark.parametrize("key", ["index.html", "episodes/hostile/index.html"])
def test_hostile_text_stays_text(show: SiteShow, episodes: list[SiteEpisode], key: str) -> None:
    page = render_site(show, episodes)[key]
    assert b"<script>alert" not in page
    assert b"<img src=x" not in page
    doc = parse(page)
    scripts = doc.xpath("//script")
    assert all(s.get("src", "").endswith("site.js") and not s.text for s in scripts)
    assert not doc.xpath("//*[@onerror]")
    assert not doc.xpath("//img[@src='x']")
    shown = [e.text_content() for e in doc.xpath("//h1 | //h3/a")]
    assert HOSTILE in shown
    if key != "index.html":
        assert doc.findtext(".//title").startswith(HOSTILE)
        assert doc.xpath("//svg/@aria-label")[0] == f"Звуковая волна выпуска «{HOSTILE}»"
        assert doc.xpath("//dd")[0].text_content() == HOSTILE
        assert doc.xpath("//audio/@aria-label")[0] == f"Плеер: {HOSTILE}"


@pytest.mark.parametrize("key", ["index.html", "episodes/alikhanov/index.html"])
def test_page_is_utf8_html5_in_the_show_language(
    show: SiteShow, episodes: list[SiteEpisode], key: str
) -> None:
    page = render_site(show, episodes)[key]
    assert page.startswith(b'<!DOCTYPE html>\n<html lang="ru">')
    doc = parse(page)
    assert doc.xpath("//meta/@charset") == ["utf-8"]
    assert doc.xpath("//meta[@name='viewport']")
    assert len(doc.xpath("//main")) == 1
    assert all(img.get("alt") for img in doc.xpath("//img"))
    for control in doc.xpath("//input"):
        assert doc.xpath(f"//label[@for='{control.get('id')}']")


def test_show_page_lists_episodes_newest_first(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    doc = parse(render_site(show, episodes)["index.html"])
    links = doc.xpath("//ul[@class='episodes']//h3/a")
    assert [a.text_content() for a in links] == [HOSTILE, "Алиханов — фрагмент выступления"]
    assert [a.get("href") for a in links] == [
        "episodes/hostile/index.html",
        "episodes/alikhanov/index.html",
    ]
    meta = doc.xpath("//ul[@class='episodes']//p[@class='meta']")[1].text_content()
    assert meta == "5 марта 2026 · 1:02:05"
    subscribe = doc.xpath("//section[@class='subscribe']//a/@href")
    assert subscribe == [FEED_URL, APPLE]
    assert doc.xpath("//input[@id='feed-url']/@value") == [FEED_URL]
    assert doc.xpath("//link[@rel='alternate']/@href") == [FEED_URL]
    assert doc.xpath("//img[@class='cover']/@src") == ["images/cover-0123456789ab.jpg"]


def test_episode_page_has_player_chapters_guests_and_transcript(
    show: SiteShow, episodes: list[SiteEpisode]
) -> None:
    doc = parse(render_site(show, episodes)["episodes/alikhanov/index.html"])
    audio = doc.xpath("//audio")[0]
    assert audio.get("src") == "../../audio/alikhanov-aaaaaaaaaaaa.mp3"
    assert audio.get("controls") is not None
    assert audio.get("preload") == "metadata"
    download = doc.xpath("//p[@class='download']/a")[0]
    assert download.get("href") == audio.get("src")
    assert download.get("download") is not None
    assert "29.8 МБ" in download.getparent().text_content()
    chapters = doc.xpath("//ol[@class='chapters']//a")
    assert [(a.get("href"), a.get("data-t")) for a in chapters] == [
        ("../../audio/alikhanov-aaaaaaaaaaaa.mp3#t=0", "0"),
        ("../../audio/alikhanov-aaaaaaaaaaaa.mp3#t=65.5", "65.5"),
    ]
    assert chapters[1].text_content() == "0:01:05 О заводах <b>"
    cues = doc.xpath("//div[@class='transcript']/p")
    assert [c.text_content() for c in cues][1:] == [
        "0:00:04 Поговорим о <заводах> & портах.",
        "0:00:10 Анна Петрова: Добрый & день",  # WebVTT voice and markup, entities decoded
        "0:00:12 Ещё строка",  # the same voice is named once
        "0:00:14 Дальше <b>",
    ]
    assert not doc.xpath("//div[@class='transcript']//i | //div[@class='transcript']//b/b")
    assert cues[1].xpath("a/@data-t") == ["4"]
    assert doc.xpath("//a[.='Файл расшифровки']/@href") == ["../../transcripts/alikhanov.vtt"]
    assert [e.text_content() for e in doc.xpath("//dl[@class='persons']/*")] == [
        "Гость", "Антон Алиханов", "Ведущий", "Ведущая Анна",
    ]  # fmt: skip
    assert [p.text_content() for p in doc.xpath("//article/p[not(@class)]")] == [
        "Губернатор — о заводах.Вторая строка.",
        "Второй абзац.",
    ]
    svg = doc.xpath("//svg")[0]
    assert svg.get("role") == "img"
    assert svg.get("viewbox", svg.get("viewBox")) == "0 0 4 100"
    assert svg.xpath("path/@d")[0].count("z") == 4
    assert doc.xpath("//p[@class='technical']")[0].text_content() == "Громкость: -19.0 LUFS"
    assert doc.xpath("//img[@class='cover']/@src") == ["../../images/cover-0123456789ab.jpg"]


def test_links_are_relative_and_resolve(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    pages = render_site(show, episodes)
    allowed_absolute = {FEED_URL, APPLE}
    for key, page in pages.items():
        if not key.endswith(".html"):
            continue
        doc = parse(page)
        for url in doc.xpath("//@href | //@src"):
            if url.startswith("data:"):
                continue
            if urlsplit(url).scheme or url.startswith("//"):
                assert url in allowed_absolute, (key, url)
                continue
            target = urldefrag(urljoin("https://store.invalid/" + key, url)).url
            path = target.removeprefix("https://store.invalid/")
            assert path in pages or path in MEDIA_KEYS, (key, url)


def test_a_lone_show_names_no_station(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    for key, page in render_site(show, episodes).items():
        if key.endswith(".html"):
            assert not parse(page).xpath("//nav[@class='station']"), key


def test_a_programme_links_back_to_its_station_from_every_page(
    show: SiteShow, episodes: list[SiteEpisode]
) -> None:
    station = SiteStationLink(name=HOSTILE, language="en")
    programme = replace(show, station=station)
    pages = render_site(programme, episodes)
    assert render_site(show, episodes)["site.css"] == pages["site.css"]
    root = "https://radio.example.org/st/utro/"  # a programme is one prefix below the station
    for key, page in pages.items():
        if not key.endswith(".html"):
            continue
        doc = parse(page)
        (nav,) = doc.xpath("//body/nav[@class='station']")
        assert nav.get("aria-label") == "Радиостанция"  # the programme's language
        assert doc.xpath("//body/*[1]") == [nav]  # before main: the first thing on the page
        (link,) = nav.xpath("a")
        assert link.text_content() == HOSTILE  # hostile text stays text
        assert link.get("lang") == "en"  # the station's own language
        assert urljoin(root + key, link.get("href")) == "https://radio.example.org/st/index.html"
        assert not doc.xpath("//nav//script | //nav//img")


def test_other_languages_fall_back_to_english(episodes: list[SiteEpisode]) -> None:
    show = SiteShow(
        title="Radio",
        description="",
        language="en-GB",
        author="",
        image_key=None,
        feed_key="feed.xml",
        feed_url=FEED_URL,
    )
    pages = render_site(show, episodes[:1])
    doc = parse(pages["index.html"])
    assert doc.get("lang") == "en-GB"
    assert doc.xpath("//h2/text()") == ["Subscribe", "Episodes"]
    assert not doc.xpath("//img")
    episode = parse(pages[episode_key("alikhanov")])
    assert episode.xpath("//p[@class='meta']")[0].text_content() == "5 March 2026 · 1:02:05"
    assert [e.text for e in episode.xpath("//dt")] == ["Guest", "Host"]


def test_empty_show_says_so(show: SiteShow) -> None:
    doc = parse(render_site(show, [])["index.html"])
    assert "Выпусков пока нет." in doc.text_content()


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00:00"), (59.5, "0:01:00"), (3725.4, "1:02:05"), (36000, "10:00:00"), (-1, "0:00:00")],
)
def test_format_duration(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


def test_positions_are_cut_not_rounded() -> None:
    assert format_position(65.9) == "0:01:05"


@pytest.mark.parametrize(
    ("lang", "shown"), [("ru", "1 января 2026"), ("en", "1 January 2026"), ("de", "1 January 2026")]
)
def test_format_date_needs_no_locale(lang: str, shown: str) -> None:
    assert format_date(datetime(2026, 1, 1, 23, 0, tzinfo=MSK), lang) == shown


def test_paragraphs() -> None:
    assert paragraphs("a\r\nb\n \n\nc\n") == [["a", "b"], ["c"]]
    assert paragraphs("  ") == []
