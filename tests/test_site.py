"""The listeners' pages: escaping, language, relative links, chapters, transcript, determinism.

Pages are parsed with lxml and queried; no string equality on whole pages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import lxml.html
import pytest
from lxml import etree

from clirun import run
from conftest import make_cover
from media import make_recording
from radiodesk.publish.site import (
    SITE_TYPES,
    SiteChapter,
    SiteCue,
    SiteEpisode,
    SitePerson,
    SiteShow,
    SiteSoundbite,
    SiteStationLink,
    episode_key,
    format_date,
    format_duration,
    format_position,
    paragraphs,
    render_site,
)
from radiodesk.publish.social import og_locale
from radiodesk.show.scaffold import create_show
from radiodesk.show.settings_file import load_settings
from showfiles import snapshot_with_times

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
    "clips/alikhanov-cccccccccccc.mp3",
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
        soundbites=(
            SiteSoundbite(
                start_s=65.5,
                duration_s=20.0,
                title="Главное",
                clip_key="clips/alikhanov-cccccccccccc.mp3",
                clip_size=321_000,
            ),
        ),
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


def test_show_page_plays_every_episode_inline(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    doc = parse(render_site(show, episodes)["index.html"])
    items = doc.xpath("//ul[@class='episodes']/li")
    assert len(items) == 2
    for item, episode in zip(items, reversed(episodes), strict=True):  # newest first
        (audio,) = item.xpath(".//audio")
        assert audio.get("controls") is not None
        assert audio.get("preload") == "none"  # a long list must not fetch every MP3 at once
        assert audio.get("src") == episode.audio_key  # relative to the show page
        assert audio.get("aria-label") == f"Плеер: {episode.title}"
        assert audio.xpath("a/@href") == [episode.audio_key]  # a browser without <audio>
        (button,) = item.xpath(".//button")  # shown by site.js in the player's place
        assert button.get("hidden") is not None  # without JavaScript: the player itself
        assert button.get("aria-controls") == audio.get("id")
        assert button.get("aria-label") == f"Слушать: {episode.title}"
        assert button.text_content().strip() == "▶\ufe0e Слушать"
    assert doc.xpath("//script/@src") == ["site.js"]  # it lets one episode play at a time


def test_soundbite_players_load_their_duration(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    doc = parse(render_site(show, episodes)[episode_key("alikhanov")])
    (clip,) = doc.xpath("//li[@class='soundbite']/audio")
    assert clip.get("preload") == "metadata"  # "0:00 / 0:00" until played, otherwise
    assert clip.get("src") == "../../clips/alikhanov-cccccccccccc.mp3"
    assert clip.get("aria-label") == "Фрагмент: Главное"
    links = doc.xpath("//li[@class='soundbite']/p[@class='links']/a")  # two pills, no loose text
    assert [a.text_content() for a in links] == [
        "Слушать в выпуске с этого места",
        "Скачать фрагмент (321 КБ)",
    ]
    assert not links[0].getparent().text
    assert not any(a.tail.strip() for a in links if a.tail)


def test_listeners_are_not_shown_the_loudness(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    for key, page in render_site(show, episodes).items():
        if key.endswith(".html"):
            text = parse(page).text_content()
            assert "LUFS" not in text, key
            assert "Громкость" not in text, key


LINKED_NOTES = (
    "Полная запись: https://radio.example.org/эфир/5-марта.\n"
    "Сайт «https://пример.рф/новости», вопросы — на www.example.org!\n\n"
    f"{HOSTILE} javascript:alert(3) <a href='javascript:alert(4)'>https://example.org/x</a>"
)


def test_addresses_in_the_notes_are_links(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    linked = replace(episodes[0], description=LINKED_NOTES)
    programme = replace(show, description="Наш сайт (https://radio.example.org/).\n\nВторой.")
    pages = render_site(programme, [linked, episodes[1]])
    doc = parse(pages[episode_key("alikhanov")])
    notes = doc.xpath("//article/p[not(@class)]")
    assert [(a.get("href"), a.text_content()) for a in doc.xpath("//article/p/a")] == [
        ("https://radio.example.org/эфир/5-марта", "https://radio.example.org/эфир/5-марта"),
        ("https://пример.рф/новости", "https://пример.рф/новости"),
        ("http://www.example.org", "www.example.org"),
        ("https://example.org/x", "https://example.org/x"),
    ]
    first, second = LINKED_NOTES.split("\n\n")
    assert [p.text_content() for p in notes] == [first.replace("\n", ""), second]
    assert not doc.xpath("//@href[contains(., 'javascript')] | //*[@onerror] | //img[@src='x']")
    assert [s.get("src") for s in doc.xpath("//script")] == ["../../site.js"]
    summary = doc.xpath("//meta[@name='description']/@content")[0]
    assert summary == first.replace("\n", " ")  # plain text, never markup
    show_page = parse(pages["index.html"])
    assert show_page.xpath("//main/p[1]/a/@href") == ["https://radio.example.org/"]
    assert (
        show_page.xpath("//main/p[1]")[0].text_content() == "Наш сайт (https://radio.example.org/)."
    )
    summaries = show_page.xpath("//ul[@class='episodes']//p[not(@class)]")
    assert summaries[1].xpath("a/@href")[:2] == [
        "https://radio.example.org/эфир/5-марта",
        "https://пример.рф/новости",
    ]


PUBLIC = "https://radio.example.org/podcast/"


def public(show: SiteShow, episodes: list[SiteEpisode]) -> tuple[SiteShow, list[SiteEpisode]]:
    """The view models as publish makes them: with the store's absolute URLs."""
    return replace(show, page_url=PUBLIC + "index.html", image_url=PUBLIC + str(show.image_key)), [
        replace(
            e,
            page_url=PUBLIC + episode_key(e.slug),
            audio_url=PUBLIC + e.audio_key,
            image_url=PUBLIC + e.image_key if e.image_key else None,
        )
        for e in episodes
    ]


def previews(doc: lxml.html.HtmlElement) -> dict[str, str]:
    """Return the Open Graph and Twitter tags of a page; each may appear once."""
    tags = [
        (m.get("property") or m.get("name"), m.get("content"))
        for m in doc.xpath(
            "//head/meta[starts-with(@property, 'og:') or "
            "starts-with(@property, 'article:') or starts-with(@name, 'twitter:')]"
        )
    ]
    assert len(dict(tags)) == len(tags), tags
    return dict(tags)


def test_show_page_has_a_link_preview(show: SiteShow, episodes: list[SiteEpisode]) -> None:
    site_show, site_episodes = public(show, episodes)
    doc = parse(render_site(site_show, site_episodes)["index.html"])
    assert previews(doc) == {
        "og:type": "website",
        "og:site_name": show.title,
        "og:title": show.title,
        "og:description": "Интервью и выступления — «как есть».",
        "og:url": PUBLIC + "index.html",
        "og:locale": "ru_RU",
        "og:image": PUBLIC + "images/cover-0123456789ab.jpg",
        "og:image:alt": f"Обложка: {show.title}",
        "twitter:card": "summary_large_image",
        "twitter:title": show.title,
        "twitter:description": "Интервью и выступления — «как есть».",
        "twitter:image": PUBLIC + "images/cover-0123456789ab.jpg",
        "twitter:image:alt": f"Обложка: {show.title}",
    }


def test_episode_pages_have_a_link_preview_with_audio(
    show: SiteShow, episodes: list[SiteEpisode]
) -> None:
    site_show, site_episodes = public(show, episodes)
    pages = render_site(site_show, site_episodes)
    calm = previews(parse(pages[episode_key("alikhanov")]))
    assert calm["og:type"] == "article"
    assert calm["og:title"] == calm["twitter:title"] == "Алиханов — фрагмент выступления"
    assert calm["og:description"] == "Губернатор — о заводах. Вторая строка."
    assert calm["og:url"] == PUBLIC + "episodes/alikhanov/index.html"
    assert calm["og:audio"] == PUBLIC + "audio/alikhanov-aaaaaaaaaaaa.mp3"
    assert calm["og:audio:type"] == "audio/mpeg"
    assert calm["og:image"] == PUBLIC + "images/cover-0123456789ab.jpg"  # the show's artwork
    assert calm["article:published_time"] == "2026-03-05T10:00:00+03:00"
    assert (calm["og:locale"], calm["og:site_name"]) == ("ru_RU", show.title)
    doc = parse(pages[episode_key("hostile")])
    hostile = previews(doc)
    assert hostile["og:title"] == hostile["og:description"] == HOSTILE  # text, not markup
    bare = replace(site_episodes[1], description="")
    pages = render_site(site_show, [bare])
    assert previews(parse(pages[episode_key("hostile")]))["og:description"] == show.title
    assert hostile["twitter:image"] == PUBLIC + "images/hostile-0123456789ab.jpg"  # its own
    assert not doc.xpath("//script[not(@src)] | //*[@onerror] | //img[@src='x']")


def test_without_public_urls_a_preview_names_no_address(
    show: SiteShow, episodes: list[SiteEpisode]
) -> None:
    doc = parse(render_site(show, episodes)[episode_key("alikhanov")])
    tags = previews(doc)
    assert tags["og:title"] == "Алиханов — фрагмент выступления"
    assert tags["twitter:card"] == "summary"
    assert not {"og:url", "og:image", "og:audio", "twitter:image"} & set(tags)


@pytest.mark.parametrize(
    ("language", "locale"),
    [("ru", "ru_RU"), ("en", "en_US"), ("uk", "uk_UA"), ("be", "be_BY"), ("en-GB", "en_GB"),
     ("ru-ru", "ru_RU"), ("zz", None)],
)  # fmt: skip
def test_og_locale_of_the_show_language(language: str, locale: str | None) -> None:
    assert og_locale(language) == locale


def test_published_previews_point_at_published_objects(tmp_path: Path) -> None:
    root = tmp_path / "шоу"
    base = "https://radio.example.org/podcast"
    create_show(
        root,
        title="Радио: актуальные комментарии",
        base_url=base,
        description="Интервью и выступления — «как есть».",
        language="ru",
        author="Редакция радио",
        email="radio@example.org",
        category="News/Politics",
        image=make_cover(tmp_path / "обложка.jpg"),
        explicit=False,
    )
    recording = make_recording(tmp_path / "интервью.wav", seconds=3, lufs=-20)
    notes = "Полная запись: https://radio.example.org/эфир."
    added = run("-C", root, "add", recording, "--title", "Интервью", "--description", notes)
    assert added.status == 0, added.err
    slug = added.out.strip()
    assert run("-C", root, "publish").status == 0
    store = load_settings(root).local_store
    item = etree.parse(store / "feed.xml").find("channel/item")
    assert item is not None
    for key in ("index.html", episode_key(slug)):
        tags = previews(parse((store / key).read_bytes()))
        assert tags["og:url"] == f"{base}/{key}"
        urls = [tags[name] for name in ("og:url", "og:image", "twitter:image", "og:audio")
                if name in tags]  # fmt: skip
        for url in urls:
            assert url.startswith(base + "/"), url
            assert (store / unquote(url.removeprefix(base + "/"))).is_file(), url
    episode = previews(parse((store / episode_key(slug)).read_bytes()))
    assert episode["og:url"] == item.findtext("link")
    assert episode["og:audio"] == item.find("enclosure").get("url")
    assert episode["og:image"] == item.find("{*}image").get("href")
    before = snapshot_with_times(store)
    assert run("-C", root, "publish").status == 0
    assert snapshot_with_times(store) == before  # nothing changed: nothing uploaded
