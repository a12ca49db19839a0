"""The listeners' pages in a real browser: headless Debian Chromium, driven by Playwright,
against `radiodesk serve` on 127.0.0.1, on a store made by `radiodesk add` and `publish`.

Chromium comes from Debian's `chromium` package (`./dev test` installs it); Playwright never
downloads a browser. Screenshots go to test-artifacts/ at the repository root (git-ignored).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from conftest import make_cover
from media import ffmpeg_run, make_recording
from radiodesk.cli import main
from radiodesk.show import episode_file
from radiodesk.show.episode import Episode
from radiodesk.show.scaffold import create_show
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import load_settings

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google, which this network
# refuses; a fresh profile is Playwright's default (a new temporary user-data-dir per launch).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
HOSTILE = '<script>alert(1)</script> & ]]> "q" <img src=x onerror=alert(2)>'
CALM = "Алиханов — фрагмент выступления"
LONG_S = 40
CHAPTER_S = 30.0
SOUNDBITE_S = (5, 25)
PUBLIC = "https://radio.example.org/podcast"
# The notes link to the show's own page: the preview serves it, so the link can be followed.
NOTES = f"Губернатор — о заводах. Все выпуски: {PUBLIC}/index.html."
TIMEOUT_MS = 15_000


@dataclass(frozen=True, slots=True)
class Site:
    """A published store, served; the episodes' slugs and what the catalog says of them."""

    settings: Settings
    base: str  # the preview's own URL, ending in /
    hostile: Episode
    calm: Episode


def add(root: Path, recording: Path, title: str, date: str, *extra: str) -> None:
    argv = ["-q", "-C", str(root), "add", str(recording), "--title", title, "--date", date]
    assert main([*argv, *extra]) == 0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser")
    root = folder / "шоу"
    create_show(
        root,
        title="Радио: актуальные комментарии",
        base_url=PUBLIC,
        description="Интервью и выступления — «как есть».\n\nБез купюр.",
        language="ru",
        author="Редакция радио",
        email="radio@example.org",
        category="News/Politics",
        image=make_cover(folder / "cover.jpg", size=1400),
        explicit=False,
    )
    short = make_recording(folder / "short.wav", seconds=4, lufs=-20)
    long = folder / "long.wav"  # noise that swells and fades like speech; quick to make
    ffmpeg_run(
        "-f", "lavfi", "-i", f"anoisesrc=d={LONG_S}:c=pink:a=0.3:seed=7",
        "-af", "volume='0.1+0.9*abs(sin(t*1.3)*sin(t*0.21))':eval=frame", str(long),
    )  # fmt: skip
    chapters = folder / "главы.txt"
    chapters.write_text(f"00:00 Начало\n00:{CHAPTER_S:02.0f} О заводах\n", encoding="utf-8")
    transcript = folder / "расшифровка.vtt"
    transcript.write_text(
        "WEBVTT\n\n00:00.000 --> 00:05.000\nДобрый день.\n\n"
        "00:30.000 --> 00:35.000\nТеперь о заводах.\n",
        encoding="utf-8",
    )
    add(root, short, HOSTILE, "2026-01-10T10:00:00+03:00", "--person", f"{HOSTILE}:guest")
    add(
        root, long, CALM, "2026-02-01T10:00:00+03:00", "--description", NOTES,
        "--chapters", str(chapters), "--transcript", str(transcript),
        "--soundbite", f"{SOUNDBITE_S[0]}-{SOUNDBITE_S[1]}:Главное",
    )  # fmt: skip
    assert main(["-q", "-C", str(root), "publish"]) == 0
    settings = load_settings(root)
    port = free_port()
    server = subprocess.Popen(
        [Path(sys.executable).parent / "radiodesk", "-C", root, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_until_serving(base)
        episodes = {e.title: e for e in episode_file.load_episodes(root)}
        yield Site(settings, base, episodes[HOSTILE], episodes[CALM])
    finally:
        server.terminate()
        server.communicate(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(base: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(base, timeout=2) as answer:
                assert answer.status == 200
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def audio_responses(page: Page) -> list[tuple[str, int]]:
    """Record the status of every audio response the page gets from now on."""
    seen: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: seen.append((r.url, r.status)) if "/audio/" in r.url else None,
    )
    return seen


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: install Debian's chromium package (./dev test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def episode_url(site: Site, episode: Episode) -> str:
    return f"{site.base}episodes/{episode.slug}/index.html"


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def on_dialogs(page: Page) -> list[str]:
    """Record (and dismiss) every alert: a hostile title must never open one."""
    seen: list[str] = []

    def record(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen


def wait_for_metadata(page: Page) -> None:
    page.wait_for_function("document.getElementById('player').readyState >= 1")


def player(page: Page, expression: str) -> Any:
    return page.evaluate(f"(p => {expression})(document.getElementById('player'))")


def test_show_page_lists_the_episodes_as_text(site: Site, page: Page) -> None:
    dialogs = on_dialogs(page)
    page.goto(site.base + "index.html")
    links = page.locator(".episodes h3 a")
    assert links.all_inner_texts() == [CALM, HOSTILE]  # newest first, the hostile one as text
    assert page.locator("img[src='x']").count() == 0
    feed = page.locator("section.subscribe a[type='application/rss+xml']")
    assert feed.get_attribute("href") == site.base + "feed.xml"  # the preview's own feed
    response = page.request.get(site.base + "feed.xml")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert f"{site.base}audio/" in response.text()
    shoot(page, "show.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "show-phone.png")
    links.nth(1).click()
    page.wait_for_url(episode_url(site, site.hostile))
    assert page.locator("h1").inner_text() == HOSTILE
    assert page.title() == f"{HOSTILE} · {site.settings.show.title}"
    assert page.locator("dl.persons dd").inner_text() == HOSTILE
    assert page.locator("img[src='x']").count() == 0
    shoot(page, "episode-hostile.png")
    assert dialogs == []


def test_player_loads_the_episode_audio(site: Site, page: Page) -> None:
    assert site.calm.audio is not None
    audio = audio_responses(page)
    page.goto(episode_url(site, site.calm))
    wait_for_metadata(page)
    assert player(page, "p.duration") == pytest.approx(site.calm.audio.duration_s, abs=0.3)
    assert player(page, "p.error") is None
    assert page.locator("header .meta time").nth(1).inner_text() == "0:00:40"
    wave = page.get_by_role("img", name=f"Звуковая волна выпуска «{CALM}»")
    assert wave.is_visible()
    assert audio
    assert all(status == 206 for _url, status in audio)  # players ask in ranges: 206 each
    assert page.get_by_text("Теперь о заводах.").is_visible()  # the transcript, on the page
    shoot(page, "episode.png")


def test_chapter_link_seeks_the_player(site: Site, page: Page) -> None:
    audio = audio_responses(page)
    page.goto(episode_url(site, site.calm))
    wait_for_metadata(page)
    page.get_by_role("link", name="О заводах").click()
    page.wait_for_function(f"document.getElementById('player').currentTime >= {CHAPTER_S - 0.1}")
    assert CHAPTER_S - 0.1 <= player(page, "p.currentTime") <= CHAPTER_S + 2
    assert page.evaluate("location.hash") == f"#t={CHAPTER_S:g}"
    assert player(page, "p.seekable.end(0)") >= CHAPTER_S  # the server's ranges make it seekable
    assert audio
    assert all(status == 206 for _url, status in audio)


def test_chapter_link_works_without_javascript(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(episode_url(site, site.calm))
        page.get_by_role("link", name="О заводах").click()  # opens the MP3 at #t=30
        page.wait_for_url(f"**/audio/*.mp3#t={CHAPTER_S:g}")
        page.wait_for_function("document.querySelector('video').readyState >= 1")
        assert page.evaluate("document.querySelector('video').currentTime") >= CHAPTER_S - 0.1
    finally:
        context.close()


def test_player_is_keyboard_usable(site: Site, page: Page) -> None:
    page.goto(episode_url(site, site.calm))
    wait_for_metadata(page)
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "player":
            break
    assert page.evaluate("document.activeElement.id") == "player"
    assert player(page, "p.paused")
    page.keyboard.press("Space")  # the focused play button
    page.wait_for_function("!document.getElementById('player').paused")
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('player').paused")


def click_play(page: Page, selector: str) -> None:
    """Click the play button of a native player, as a listener would (it is at the left end)."""
    audio = page.locator(selector)
    audio.scroll_into_view_if_needed()
    box = audio.bounding_box()
    assert box is not None
    audio.click(position={"x": min(24, box["width"] / 2), "y": box["height"] / 2})


def wait_until(page: Page, selector: str, condition: str) -> None:
    """Wait until a condition on the audio element `a` holds (a function: the CSP forbids eval)."""
    page.wait_for_function(f"s => (a => {condition})(document.querySelector(s))", arg=selector)


def audio_state(page: Page, selector: str) -> dict[str, Any]:
    return dict(
        page.evaluate(
            "s => { const a = document.querySelector(s); return {paused: a.paused, "
            "time: a.currentTime, duration: a.duration, ready: a.readyState, error: a.error}; }",
            selector,
        )
    )


def test_show_page_plays_an_episode_inline_one_at_a_time(site: Site, page: Page) -> None:
    audio = audio_responses(page)
    page.goto(site.base + "index.html")
    first, second = ".episodes li:nth-child(1) audio", ".episodes li:nth-child(2) audio"
    assert page.locator(".episodes audio").count() == 2
    assert page.locator(".episodes audio:visible").count() == 0  # a button stands for each
    shoot(page, "show-buttons.png")
    page.wait_for_load_state("load")
    assert audio == []  # preload="none": a long list costs no MP3 until one is played
    page.get_by_role("button", name=f"Слушать: {CALM}").click()
    assert page.get_by_label(f"Плеер: {CALM}").is_visible()  # the player in its place
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Плеер: {CALM}"
    wait_until(page, first, "a.currentTime > 0.5")
    assert audio_state(page, first)["error"] is None
    assert not audio_state(page, first)["paused"]
    assert page.url == site.base + "index.html"  # it plays right there, on the show page
    shoot(page, "show-playing.png")
    page.get_by_role("button", name=f"Слушать: {HOSTILE}").click()
    wait_until(page, second, "a.currentTime > 0.5")
    assert audio_state(page, first)["paused"]  # starting one paused the other
    assert not audio_state(page, second)["paused"]
    click_play(page, first)  # the first one's own play button: back to it, the other pauses
    wait_until(page, first, "!a.paused")
    wait_until(page, second, "a.paused")
    assert audio
    assert all(status == 206 for _url, status in audio)


def test_show_page_plays_inline_without_javascript(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site.base + "index.html")
        assert page.get_by_role("button").count() == 0  # nothing that needs a script
        assert page.get_by_label(f"Плеер: {CALM}").is_visible()
        first = ".episodes li:nth-child(1) audio"
        click_play(page, first)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while audio_state(page, first)["time"] <= 0.5:  # wait_for_function needs scripts on
            assert time.monotonic() < deadline, audio_state(page, first)
            time.sleep(0.1)
        assert not audio_state(page, first)["paused"]
        assert page.url == site.base + "index.html"
        shoot(page, "show-no-script.png")
    finally:
        context.close()


def test_soundbite_shows_its_duration_before_it_is_played(site: Site, page: Page) -> None:
    page.goto(episode_url(site, site.calm))
    bite = ".soundbite audio"
    wait_until(page, bite, "a.readyState >= 1")
    state = audio_state(page, bite)
    assert state["paused"]
    assert state["time"] == 0
    assert state["duration"] == pytest.approx(SOUNDBITE_S[1] - SOUNDBITE_S[0], abs=0.5)
    assert page.get_by_text("Громкость").count() == 0  # the producer's loudness is not shown
    assert page.get_by_text("LUFS").count() == 0
    shoot(page, "episode-soundbite.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "episode-phone.png")
    wait_for_metadata(page)
    click_play(page, bite)  # and the soundbite and the episode never play together
    wait_until(page, bite, "a.currentTime > 0.3")
    page.get_by_role("link", name="О заводах").click()
    wait_until(page, "#player", "!a.paused")
    wait_until(page, bite, "a.paused")


def test_a_link_in_the_notes_can_be_followed(site: Site, page: Page) -> None:
    page.goto(episode_url(site, site.calm))
    link = page.get_by_role("link", name=f"{site.base}index.html")  # the preview's own address
    assert link.get_attribute("href") == f"{site.base}index.html"
    link.click()
    page.wait_for_url(site.base + "index.html")
    assert page.locator("h1").inner_text() == site.settings.show.title


def previews(page: Page) -> dict[str, str]:
    return dict(
        page.evaluate(
            "Object.fromEntries([...document.querySelectorAll("
            '\'meta[property^="og:"], meta[name^="twitter:"]\')]'
            ".map(m => [m.getAttribute('property') || m.name, m.content]))"
        )
    )


@pytest.mark.parametrize("which", ["show", "episode"])
def test_pages_carry_link_previews_of_real_objects(site: Site, page: Page, which: str) -> None:
    url = site.base + "index.html" if which == "show" else episode_url(site, site.calm)
    page.goto(url)
    tags = previews(page)
    title = site.settings.show.title if which == "show" else CALM
    assert (tags["og:title"], tags["twitter:title"]) == (title, title)
    assert tags["og:url"] == url  # the public URL, as the preview serves it
    assert (tags["og:locale"], tags["twitter:card"]) == ("ru_RU", "summary_large_image")
    expected = {"og:image": "image/jpeg", "twitter:image": "image/jpeg"}
    if which == "episode":
        assert tags["og:type"] == "article"
        assert tags["og:audio:type"] == "audio/mpeg"
        expected["og:audio"] = "audio/mpeg"
    for name, content_type in expected.items():
        answer = page.request.get(tags[name])  # each one is a published object
        assert answer.status == 200, name
        assert answer.headers["content-type"] == content_type


@pytest.fixture(scope="module")
def station_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A station of two programmes (one with a hostile title), published and served whole."""
    folder = tmp_path_factory.mktemp("browser-station")
    root = folder / "Станция"
    argv = ["init", str(root), "--station", "--title", "Радио «Балтика»"]
    assert main([*argv, "--base-url", "https://radio.example.org/st"]) == 0
    for name, title, colour in (("Утро", HOSTILE, "navy"), ("news", CALM, "maroon")):
        cover = folder / f"{name}.jpg"
        Image.new("RGB", (1400, 1400), colour).save(cover, "JPEG")
        options = ["--title", title, "--email", "desk@example.org", "--image", str(cover)]
        assert main(["init", str(root / name), *options]) == 0
        add(root / name, make_recording(folder / f"{name}.wav", seconds=2, lufs=-20), title,
            "2026-03-01T10:00:00+03:00")  # fmt: skip
    assert main(["-q", "-C", str(root), "publish"]) == 0
    port = free_port()
    server = subprocess.Popen(
        [Path(sys.executable).parent / "radiodesk", "-C", root, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_until_serving(base)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=10)


def test_station_page_lists_programmes_with_artwork_and_feeds(
    station_base: str, page: Page
) -> None:
    dialogs = on_dialogs(page)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(station_base)
    titles = page.locator(".programmes h3 a")
    assert titles.all_inner_texts() == [CALM, HOSTILE]  # by folder: news, then Утро
    assert page.locator("img[src='x']").count() == 0
    covers = page.locator(".programmes img.cover")
    assert covers.count() == 2
    assert page.evaluate(
        "[...document.querySelectorAll('.programmes img')].every(i => i.naturalWidth > 0)"
    )
    feeds = page.locator(".programmes a[type='application/rss+xml']")
    assert [feeds.nth(i).get_attribute("href") for i in range(2)] == [
        f"{station_base}news/feed.xml",
        f"{station_base}utro/feed.xml",
    ]  # the preview's own addresses
    for i in range(2):
        feed = page.request.get(str(feeds.nth(i).get_attribute("href")))
        assert feed.status == 200
        assert feed.headers["content-type"] == "application/rss+xml; charset=utf-8"
    opml = page.request.get(station_base + "programmes.opml")
    assert opml.headers["content-type"] == "text/x-opml; charset=utf-8"
    shoot(page, "station.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "station-phone.png")
    titles.nth(1).click()
    page.wait_for_url(f"{station_base}utro/index.html")
    assert page.locator("h1").inner_text() == HOSTILE
    assert page.locator(".episodes h3 a").all_inner_texts() == [HOSTILE]
    page.locator(".episodes h3 a").first.click()  # and from an episode back to the station
    page.wait_for_url(f"{station_base}utro/episodes/**")
    page.locator("nav.station a").click()
    page.wait_for_url(station_base + "index.html")
    assert page.locator("h1").inner_text() == "Радио «Балтика»"
    assert dialogs == []
    assert console == []  # no CSP violation, no missing file
