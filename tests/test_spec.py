"""One set of rules: a radiodesk.toml that loads also publishes (settings and feed agree).

The text and URL settings that reach the feed are drawn at random; whatever `load_settings`
accepts, the feed writer and its checks must accept too, and whatever either refuses is a
one-line ConfigError at load time, not a FeedError at publish.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_cover
from radiodesk.errors import ConfigError
from radiodesk.publish import run as publishing
from radiodesk.publish.storage import open_storage
from radiodesk.show.settings_file import load_settings
from radiodesk.spec import CONTROL_RE, LINE_CONTROL_RE, is_http_url

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Text a producer might type; now and then with one of the characters the rules are about.
PLAIN = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Z", "S")), max_size=40)
SPECIAL = st.sampled_from("\x00\x07\x1b\x7f\x85\x9f\t\n\r\ufeff\u2028 «»—ёЁ")
TEXT = st.one_of(
    PLAIN,
    PLAIN,
    PLAIN,
    PLAIN,
    st.builds(
        lambda text, char, at: text[:at] + char + text[at:], PLAIN, SPECIAL, st.integers(0, 40)
    ),
)
GOOD_URLS = [
    "https://radio.example.org/podcast",
    "http://radio.example.org:8080/p",
    "https://radio.example.org/%D0%BF%D0%BE%D0%B4%D0%BA%D0%B0%D1%81%D1%82",
]
BAD_URLS = [
    "https://радио.рф/подкаст",
    "https://radio.example.org/по дкаст",
    "ftp://radio.example.org/p",
    "radio.example.org/podcast",
    "https://radio.example.org/p\x85",
    "https://[radio.example.org/p",
]
URL = st.one_of(
    st.sampled_from(GOOD_URLS),
    st.sampled_from(GOOD_URLS),
    st.sampled_from(BAD_URLS),
    st.builds(lambda path: f"https://radio.example.org/{path}", TEXT),
)


def write_show(root: Path, values: dict[str, str]) -> None:
    make_cover(root / "cover.jpg")
    show = {
        "title": "Радио",
        "language": "ru",
        "email": "radio@example.org",
        "category": "News",
        "image": "cover.jpg",
        "base_url": "https://radio.example.org/podcast",
        **values,
    }
    (root / "radiodesk.toml").write_text(tomlkit.dumps({"show": show}), encoding="utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=TEXT,
    description=TEXT,
    author=TEXT,
    copyright=TEXT,
    base_url=URL,
    link=st.one_of(st.just(""), st.just(""), URL),
)
def test_settings_that_load_also_publish(
    title: str, description: str, author: str, copyright: str, base_url: str, link: str
) -> None:
    values = {"title": title, "description": description, "author": author}
    values |= {"copyright": copyright, "base_url": base_url, "link": link}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_show(root, values)
        try:
            show = load_settings(root)
        except ConfigError:
            return  # refused at load, with one line: the rules agree if publish never refuses
        # Loaded: the feed and pages of the (empty) show must be written without complaint.
        publishing.publish(show, open_storage(show), now=NOW)
        assert (root / "public" / "feed.xml").is_file()


def test_one_control_character_rule() -> None:
    # What no feed, tag or page may carry; line breaks and tabs only in multi-line text.
    for char in "\x00\x08\x0b\x1f\x7f\x80\x85\x9f\ud800\ufffe\uffff":
        assert CONTROL_RE.search(char), repr(char)
        assert LINE_CONTROL_RE.search(char), repr(char)
    for char in "\t\n\r":
        assert not CONTROL_RE.search(char), repr(char)
        assert LINE_CONTROL_RE.search(char), repr(char)
    for char in " ё«\u2028\ufeff":
        assert not LINE_CONTROL_RE.search(char), repr(char)


def test_one_url_rule() -> None:
    assert is_http_url("https://radio.example.org/podcast/feed.xml")
    for url in ("https://радио.рф/", "https://radio.example.org/a b", "ftp://x.org/", "x.org/"):
        assert not is_http_url(url), url
