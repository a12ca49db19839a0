"""A station of two programmes (one Cyrillic) published to one store, through the CLI.

Real recordings, real ffmpeg, a real local store (and moto's S3 over HTTP); feeds are parsed back
with podcastparser, the station page with lxml, the OPML with ElementTree.
"""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urljoin

import boto3
import podcastparser
import pytest
from lxml import html

from conftest import make_cover
from media import make_recording, measure
from radiodesk.cli import main
from radiodesk.errors import ConfigError
from radiodesk.show.settings_file import load_settings, settings_from_dict
from s3server import REGION, Bucket

BASE = "https://radio.example.org/podcasts"
MORNING = "Утренний эфир"  # folder name; its prefix is the transliteration
MORNING_TITLE = "Утро <b>в эфире</b> & «новости»"
PREFIXES = {MORNING: "utrennii-efir", "news": "news"}


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return error_lines_from(capsys.readouterr().err)


def error_lines_from(err: str) -> list[str]:
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("radiodesk: error: ")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station folder with two programmes and one processed episode each (made once)."""
    work = tmp_path_factory.mktemp("station-build")
    root = work / "Станция"
    art = make_cover(work / "станция.png", fmt="PNG")
    argv = ["init", root, "--station", "--title", "Радио «Балтика»", "--image", art]
    assert run(*argv, "--base-url", BASE) == 0
    for folder, title, language in (
        (MORNING, MORNING_TITLE, "ru"),
        ("news", "Evening news", "en"),
    ):
        cover = work / f"{folder}.jpg"
        make_cover(cover)
        assert (
            run(
                "init", root / folder, "--title", title, "--language", language,
                "--email", "desk@example.org", "--image", cover,
            )
            == 0
        )  # fmt: skip
    make_recording(work / "интервью.wav", seconds=3, lufs=-26)
    make_recording(work / "studio.flac", seconds=3, lufs=-20, channels=2)
    assert run("-C", root / MORNING, "add", work / "интервью.wav", "--title", "Первый выпуск") == 0
    assert run("-C", root, "--show", "news", "add", work / "studio.flac", "--title", "Hello") == 0
    return root


@pytest.fixture
def station(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built station, for a test to publish and break."""
    return Path(shutil.copytree(built, tmp_path / built.name))


def feed_items(store: Path, prefix: str) -> dict[str, object]:
    with (store / prefix / "feed.xml").open("rb") as feed:
        parsed: dict[str, object] = podcastparser.parse(f"{BASE}/{prefix}/feed.xml", feed)
    return parsed


def test_publish_puts_each_programme_under_its_prefix_then_the_station_page(
    station: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("-C", station, "publish") == 0
    out = capsys.readouterr().out
    assert f"{MORNING}: 1 episode(s) in the feed" in out
    assert "news: 1 episode(s) in the feed" in out
    assert out.rstrip().endswith(f"station page: {BASE}/index.html")
    store = station / "public"
    for folder, prefix in PREFIXES.items():
        parsed = feed_items(store, prefix)
        episodes = parsed["episodes"]
        assert isinstance(episodes, list)
        assert len(episodes) == 1
        (enclosure,) = episodes[0]["enclosures"]
        assert enclosure["url"].startswith(f"{BASE}/{prefix}/audio/")
        on_disk = store / unquote(enclosure["url"][len(BASE) + 1 :])
        assert enclosure["file_size"] == on_disk.stat().st_size
        target = -19.0 if folder == MORNING else -16.0  # mono interview, stereo studio
        integrated, _peak = measure(on_disk)
        assert abs(integrated - target) <= 0.5
        assert parsed["link"] == f"{BASE}/{prefix}"
        assert (store / prefix / "index.html").is_file()
    assert feed_items(store, PREFIXES[MORNING])["title"] == MORNING_TITLE

    page = html.fromstring((store / "index.html").read_bytes())
    cards = page.xpath("//ul[@class='programmes']/li")
    assert [c.xpath("string(.//h3)") for c in cards] == ["Evening news", MORNING_TITLE]
    assert [c.xpath(".//h3/a/@href")[0] for c in cards] == [
        "news/index.html",
        "utrennii-efir/index.html",
    ]
    feeds = page.xpath("//a[@type='application/rss+xml']/@href")
    assert feeds == [f"{BASE}/news/feed.xml", f"{BASE}/utrennii-efir/feed.xml"]
    assert not page.xpath("//b")  # the hostile title stayed text
    sources = page.xpath("//img/@src")  # the station's and each programme's artwork
    assert len(sources) == 3
    assert sources[0].startswith("station-")
    assert sources[0].endswith(".png")
    for src in sources:
        assert (store / src).is_file(), src
    assert "Первый выпуск" in page.xpath("string(//ul)")
    assert (store / "site.css").is_file()
    outlines = ET.parse(store / "programmes.opml").getroot().findall("./body/outline")
    assert [(o.get("text"), o.get("xmlUrl"), o.get("htmlUrl")) for o in outlines] == [
        ("Evening news", f"{BASE}/news/feed.xml", f"{BASE}/news/index.html"),
        (MORNING_TITLE, f"{BASE}/utrennii-efir/feed.xml", f"{BASE}/utrennii-efir/index.html"),
    ]
    # Every programme page leads back to the station page, named in the station's language.
    for key in ("news/index.html", "news/episodes/hello/index.html"):
        (back,) = html.fromstring((store / key).read_bytes()).xpath("//nav[@class='station']/a")
        assert back.text_content() == "Радио «Балтика»"
        assert back.get("lang") == "ru"
        assert urljoin(f"{BASE}/{key}", back.get("href")) == f"{BASE}/index.html"

    before = {p: p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()}
    assert run("-C", station, "publish") == 0
    out = capsys.readouterr().out
    assert "uploaded" not in out
    assert out.count("nothing to do: the store is up to date") == 2
    assert {p: p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()} == before


def test_list_and_check_cover_every_programme(
    station: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("-C", station, "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["programme"], r["title"]) for r in rows) == [
        ("news", "Hello"),
        (MORNING, "Первый выпуск"),
    ]
    assert run("-C", station, "list") == 0
    table = capsys.readouterr().out
    assert "programme" in table
    assert MORNING in table

    assert run("-C", station, "check") == 1  # nothing published yet: one line per programme
    store = station / "public"
    assert error_lines(capsys) == [
        f"radiodesk: error: news: there is no store folder at {(store / 'news').resolve()}",
        f"radiodesk: error: {MORNING}: there is no store folder at "
        f"{(store / 'utrennii-efir').resolve()}",
        f"radiodesk: error: station page: there is no store folder at {store.resolve()}",
    ]

    assert run("-C", station, "publish") == 0
    capsys.readouterr()
    assert run("-C", station, "check") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["news: no problems", f"{MORNING}: no problems", "station page: no problems"]
    assert run("-C", station, "--show", "news", "check") == 0  # one programme: not the page
    assert capsys.readouterr().out.splitlines() == ["news: no problems"]


def test_one_programme_alone_and_by_name(station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-C", station / MORNING, "publish") == 0
    out = capsys.readouterr().out
    assert f"feed: {BASE}/utrennii-efir/feed.xml" in out
    store = station / "public"
    assert (store / "utrennii-efir" / "feed.xml").is_file()
    assert not (store / "news").exists()
    page = html.fromstring((store / "index.html").read_bytes())
    # The page names only programmes whose feed is live: never a link to a missing feed.
    assert page.xpath("//a[@type='application/rss+xml']/@href") == [
        f"{BASE}/utrennii-efir/feed.xml"
    ]

    assert run("-C", station, "--show", "news", "list", "--json") == 0
    assert [r["programme"] for r in json.loads(capsys.readouterr().out)] == ["news"]
    assert run("-C", station, "--show", "utrennii-efir", "publish") == 0  # by prefix too
    assert not (store / "news").exists()

    assert run("-C", station, "--show", "nope", "list") == 1
    assert error_lines(capsys) == [
        f"radiodesk: error: no programme 'nope' in the station {station}"
    ]
    assert run("-C", station, "add", "x.wav", "--title", "x") == 1
    assert error_lines(capsys) == [f"radiodesk: error: {station} is a station folder, not a show"]


def test_a_broken_programme_fails_alone(station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = station / "news" / "radiodesk.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[oops\n", encoding="utf-8")
    assert run("-C", station, "publish") == 1
    captured = capsys.readouterr()
    (line,) = [x for x in captured.err.splitlines() if not x.startswith("radiodesk: hint:")]
    assert line.startswith(f"radiodesk: error: news: {config}: malformed TOML")
    # The healthy programme is published in full; the station page is not touched.
    store = station / "public"
    assert feed_items(store, "utrennii-efir")["episodes"]
    assert not (store / "news").exists()
    assert not (store / "index.html").exists()
    assert "station page left as it was: fix news" in captured.out

    assert run("-C", station, "list") == 1
    captured = capsys.readouterr()
    assert MORNING in captured.out
    assert len(error_lines_from(captured.err)) == 1


def test_programme_settings_inherit_the_station_store(station: Path) -> None:
    settings = load_settings(station / MORNING)
    assert settings.show.prefix == "utrennii-efir"
    assert settings.show.base_url == f"{BASE}/utrennii-efir"
    assert settings.local_store == (station / "public" / "utrennii-efir").resolve()
    assert settings.station is not None
    assert settings.station.station.name == "Радио «Балтика»"
    text = (station / MORNING / "radiodesk.toml").read_text(encoding="utf-8")
    assert "\nbase_url" not in text
    assert "[storage]" not in text


@pytest.mark.parametrize(
    ("show", "extra", "message"),
    [
        ({"base_url": BASE}, {}, "a programme publishes to its station's store"),
        ({}, {"storage": {"path": "elsewhere"}}, "a programme publishes to its station's store"),
        ({"prefix": "Утро"}, {}, "[show] prefix 'Утро' is not a usable store prefix"),
    ],
)
def test_a_programme_cannot_leave_its_station(
    station: Path, show: dict[str, str], extra: dict[str, object], message: str
) -> None:
    settings = load_settings(station / "news")
    data = {"show": {"title": "T", **show}, **extra}
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        settings_from_dict(settings.root, data, source=settings.root, station=settings.station)


def test_prefix_only_in_a_station_and_never_twice(
    station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lone = tmp_path / "lone"
    data = {"show": {"title": "T", "base_url": BASE, "prefix": "x"}}
    with pytest.raises(ConfigError, match="prefix applies only to a programme"):
        settings_from_dict(lone, data, source=lone / "radiodesk.toml")

    config = station / "news" / "radiodesk.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[show]", '[show]\nprefix = "utrennii-efir"'), "utf-8")
    assert run("-C", station, "publish") == 1
    assert error_lines(capsys) == [
        f"radiodesk: error: the programmes 'news' and '{MORNING}' both publish under utrennii-efir/"
    ]
    assert not (station / "public").exists()


def test_init_refuses_a_bad_station_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "st"
    assert run("init", root, "--station", "--title", "R", "--base-url", "ftp://x") == 1
    assert error_lines(capsys) == [
        f"radiodesk: error: {root / 'station.toml'}: [station] base_url must be an absolute "
        "http(s) URL"
    ]
    assert not root.exists()
    assert run("init", root, "--title", "Lone show") == 1  # outside a station: a URL is needed
    assert error_lines(capsys) == [
        "radiodesk: error: give the show a --base-url (the public URL of its store)"
    ]


def test_station_on_s3_keys_under_the_station_prefix(
    built: Path, tmp_path: Path, s3_bucket: Bucket, capsys: pytest.CaptureFixture[str]
) -> None:
    station = Path(shutil.copytree(built, tmp_path / "s3-station"))
    public = f"{s3_bucket.endpoint}/{s3_bucket.name}/radio"
    config = station / "station.toml"
    text = config.read_text(encoding="utf-8").split("[storage]")[0]
    config.write_text(
        text
        + "[storage]\n"
        + f'backend = "s3"\nbucket = "{s3_bucket.name}"\nprefix = "radio"\n'
        + f'region = "{REGION}"\nendpoint_url = "{s3_bucket.endpoint}"\n'
        + f'public_base_url = "{public}"\naddressing_style = "path"\n'
        + 'acl = "public-read"\n',  # moto, like S3, refuses anonymous GETs of private objects
        encoding="utf-8",
    )
    assert run("-C", station, "publish") == 0
    assert "uploaded index.html" in capsys.readouterr().out
    client = boto3.client("s3", endpoint_url=s3_bucket.endpoint, region_name=REGION)
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket.name).get("Contents", [])}
    assert {"radio/index.html", "radio/programmes.opml", "radio/site.css"} <= keys
    assert {"radio/news/feed.xml", "radio/utrennii-efir/feed.xml"} <= keys
    feed = client.get_object(Bucket=s3_bucket.name, Key="radio/news/feed.xml")["Body"].read()
    parsed = podcastparser.parse(f"{public}/news/feed.xml", io.BytesIO(feed))
    url = parsed["episodes"][0]["enclosures"][0]["url"]
    assert url.startswith(f"{public}/news/audio/")
    assert f"radio/news/{url[len(public) + len('/news/') :]}" in keys
    assert run("-C", station, "publish") == 0
    assert "uploaded" not in capsys.readouterr().out
    assert run("-C", station, "check", "--skip-audio") == 0  # over HTTP, as apps ask
    assert capsys.readouterr().out.splitlines()[-1] == "station page: no problems"


NEWS_FEED = f"{BASE}/news/feed.xml"
NEWS_PAGE = f"{BASE}/news/index.html"
GONE_FEED = f"{BASE}/gone/feed.xml"


@pytest.fixture(scope="module")
def published(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built station, published once: both programmes live, the page and OPML in the store."""
    root = Path(shutil.copytree(built, tmp_path_factory.mktemp("published") / built.name))
    assert run("-q", "-C", root, "publish") == 0
    return root


@pytest.fixture
def live(published: Path, tmp_path: Path) -> Path:
    """A private copy of the published station, for a test to break its page or OPML."""
    return Path(shutil.copytree(published, tmp_path / published.name))


def station_page_report(station: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Check the station (which must fail); return its station page lines, prefix cut off."""
    assert run("-C", station, "check", "--skip-audio") == 1
    captured = capsys.readouterr()
    assert error_lines_from(captured.err) == []
    lines = captured.out.splitlines()
    assert lines[:2] == ["news: no problems", f"{MORNING}: no problems"]
    assert all(line.startswith("station page: ") for line in lines[2:])
    return [line.removeprefix("station page: ") for line in lines[2:]]


def rewrite(path: Path, old: str, new: str, count: int = -1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def drop_news_outline(text: str) -> str:
    start = text.index("<outline", text.index('text="Evening news"') - 40)
    return text[:start] + text[text.index("/>", start) + 2 :]


def twice_news_outline(text: str) -> str:
    start = text.index("<outline")
    outline = text[start : text.index("/>", start) + 2]
    return text.replace(outline, outline + outline)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            drop_news_outline,
            [f"error   programmes.opml: has no outline for news: {NEWS_FEED}"],
            id="programme-missing",
        ),
        pytest.param(
            lambda text: text.replace(NEWS_FEED, GONE_FEED),
            [
                f"error   programmes.opml: has no outline for news: {NEWS_FEED}",
                f"error   programmes.opml: names the feed {GONE_FEED}, which is no live "
                "programme's",
                f"error   programmes.opml: feed {GONE_FEED} answered HEAD with 404",
            ],
            id="feed-that-does-not-resolve",
        ),
        pytest.param(
            lambda text: text.replace(f' htmlUrl="{NEWS_PAGE}"', ""),
            ["error   programmes.opml outline 'Evening news': has no htmlUrl"],
            id="no-htmlUrl",
        ),
        pytest.param(
            lambda text: text.replace(NEWS_PAGE, f"{BASE}/news/old.html"),
            [
                f"error   programmes.opml: the outline of news has htmlUrl "
                f"'{BASE}/news/old.html', not {NEWS_PAGE}",
                f"error   programmes.opml: page {BASE}/news/old.html answered HEAD with 404",
            ],
            id="wrong-htmlUrl",
        ),
        pytest.param(
            twice_news_outline,
            ["error   programmes.opml: names the feed of news 2 times"],
            id="twice",
        ),
        pytest.param(
            lambda text: text.replace("<opml", "<rss").replace("</opml>", "</rss>"),
            ["error   programmes.opml: is not an OPML document (<opml> with a <body>), but <rss>"],
            id="not-opml",
        ),
        pytest.param(
            lambda text: text.replace(
                "<opml", '<!DOCTYPE opml [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<opml'
            ).replace('text="Evening news"', 'text="&e;"'),
            [
                "error   programmes.opml: is not well-formed XML: Attribute references "
                "external entity 'e', line 8, column 34"
            ],
            id="external-entity",
        ),
    ],
)
def test_check_finds_a_broken_opml(
    live: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[str], str],
    expected: list[str],
) -> None:
    opml = live / "public" / "programmes.opml"
    opml.write_text(change(opml.read_text(encoding="utf-8")), encoding="utf-8")
    assert station_page_report(live, capsys) == [*expected, summary_of(expected)]


def summary_of(lines: list[str]) -> str:
    errors = sum(line.startswith("error") for line in lines)
    warnings = len(lines) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def test_check_finds_an_opml_cut_short(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opml = live / "public" / "programmes.opml"
    opml.write_bytes(opml.read_bytes()[:-30])
    (line, total) = station_page_report(live, capsys)
    assert line.startswith("error   programmes.opml: is not well-formed XML: ")
    assert total == "1 error, 0 warnings"


def test_check_finds_a_broken_station_page(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = live / "public"
    newz = f"{BASE}/newz/feed.xml"
    rewrite(store / "index.html", NEWS_FEED, newz)  # a typo in every link to the news feed
    rewrite(store / "index.html", 'href="news/index.html"', 'href="news/old.html"')
    assert station_page_report(live, capsys) == [
        f"error   index.html: has no feed link for news: {NEWS_FEED}",
        f"error   index.html: names the feed {newz}, which is no live programme's",
        f"error   index.html: does not link to the page of news: {NEWS_PAGE}",
        f"error   index.html: feed {newz} answered HEAD with 404",
        f"error   index.html: page {BASE}/news/old.html answered HEAD with 404",
        "5 errors, 0 warnings",
    ]


def test_check_finds_a_missing_or_empty_station_page(
    live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = live / "public"
    (store / "index.html").write_bytes(b"")
    (store / "programmes.opml").unlink()
    assert station_page_report(live, capsys) == [
        "error   index.html: cannot be parsed as HTML: Document is empty",
        "error   programmes.opml: is not published yet: run radiodesk publish",
        "2 errors, 0 warnings",
    ]


def test_check_of_a_station_with_a_broken_programme_still_checks_the_page(
    live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = live / "news" / "radiodesk.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[oops\n", encoding="utf-8")
    rewrite(live / "public" / "programmes.opml", NEWS_FEED, GONE_FEED)
    assert run("-C", live, "check", "--skip-audio") == 1
    captured = capsys.readouterr()
    assert error_lines_from(captured.err)[0].startswith(f"radiodesk: error: news: {config}")
    assert captured.out.splitlines() == [
        f"{MORNING}: no problems",
        "station page: warning index.html: not compared with the programmes: fix news",
        f"station page: error   programmes.opml: feed {GONE_FEED} answered HEAD with 404",
        "station page: 1 error, 1 warning",
    ]


def test_station_page_names_what_is_live_not_pending_edits(
    station: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("-C", station, "publish") == 0
    assert (
        run("-C", station, "--show", "news", "edit", "hello", "--title", "Hello, unreviewed") == 0
    )
    assert run("-C", station, "--show", MORNING, "publish") == 0  # refreshes the station page
    capsys.readouterr()
    page = html.fromstring((station / "public" / "index.html").read_bytes())
    text = page.xpath("string(//ul[@class='programmes'])")
    assert "Hello" in text
    assert "unreviewed" not in text
