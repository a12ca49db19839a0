"""Notes to HTML: which addresses become links, where they end, and that nothing else is markup.

The HTML is parsed back with lxml and its links and text compared; no string equality on markup.
"""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiodesk.publish.notes import escaped_html, has_links, linked_html, paragraphs_html


def links(markup: str) -> list[tuple[str, str]]:
    """Return (href, shown text) of every link in an HTML fragment."""
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    return [(a.get("href"), a.text_content()) for a in root.iter("a")]


def text(markup: str) -> str:
    return lxml.html.fragment_fromstring(markup, create_parent="div").text_content()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Подробнее: https://example.org/a?b=1&c=2.",
            [("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2")],
        ),
        (  # the sentence's stop stays out of the link
            "Полная запись — https://radio.example.org/эфир/5-марта!",
            [("https://radio.example.org/эфир/5-марта", "https://radio.example.org/эфир/5-марта")],
        ),
        (  # guillemets around a Cyrillic domain and path, a comma after them
            "Сайт «https://пример.рф/новости», и всё.",
            [("https://пример.рф/новости", "https://пример.рф/новости")],
        ),
        (  # „German-style“ quotes and an ellipsis after the address
            "Смотрите „https://t.me/radio_news“ и https://vk.com/radio…",
            [
                ("https://t.me/radio_news", "https://t.me/radio_news"),
                ("https://vk.com/radio", "https://vk.com/radio"),
            ],
        ),
        (  # parentheses: the link's own pair stays, the sentence's does not
            "(см. https://ru.wikipedia.org/wiki/Москва_(город)).",
            [
                (
                    "https://ru.wikipedia.org/wiki/Москва_(город)",
                    "https://ru.wikipedia.org/wiki/Москва_(город)",
                )
            ],
        ),
        (
            "Пишите на www.radio.by/почта.",
            [("http://www.radio.by/почта", "www.radio.by/почта")],
        ),
        ("HTTP://EXAMPLE.ORG/A", [("HTTP://EXAMPLE.ORG/A", "HTTP://EXAMPLE.ORG/A")]),
        ("https://xn--e1afmkfd.xn--p1ai/", [("https://xn--e1afmkfd.xn--p1ai/",) * 2]),
    ],
)
def test_web_addresses_become_links(line: str, expected: list[tuple[str, str]]) -> None:
    markup = linked_html(line)
    assert links(markup) == expected
    assert text(markup) == line  # the shown text is the producer's, unchanged
    assert has_links(line)


@pytest.mark.parametrize(
    "line",
    [
        "javascript:alert(1)",
        "javascript:alert(document.cookie)//https",
        "Нажмите JavaScript:void(0) или data:text/html,<b>x</b>",
        "vbscript:msgbox(1) и file:///etc/passwd",
        "ftp://files.example.org/a и //example.org/b",
        "Пишите: desk@radio.example.org или mailto:desk@radio.example.org",
        "Сайт radio.by, Node.js, index.html, т.е., А.С.Пушкин, г.Москва",  # no bare names
        "texthttps://example.org glued to a word",
        "https:// и http://",
    ],
)
def test_other_text_never_becomes_a_link(line: str) -> None:
    markup = linked_html(line)
    assert links(markup) == []
    assert text(markup) == line
    assert not has_links(line)


def test_a_link_inside_hostile_text_is_the_only_markup() -> None:
    line = '<script>alert(1)</script> <a href="javascript:x">https://example.org/"onclick=x</a> &'
    markup = linked_html(line)
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    assert [e.tag for e in root.iter()] == ["div", "a"]  # no script, no producer's <a>
    assert links(markup) == [("https://example.org/", "https://example.org/")]
    assert not root.xpath("//@onclick")
    assert text(markup) == line


def test_a_quote_in_an_address_cannot_leave_the_attribute() -> None:
    markup = linked_html("https://example.org/?q=\"a\"&x='b'")
    (anchor,) = lxml.html.fragment_fromstring(markup, create_parent="div").iter("a")
    assert dict(anchor.attrib) == {"href": "https://example.org/?q=\"a\"&x='b'"}


def test_paragraphs_keep_lines_and_links() -> None:
    notes = (
        "Первый абзац https://example.org/1\nвторая строка\r\n\r\n  \n\nВторой: www.example.org."
    )
    markup = paragraphs_html(notes)
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    assert [p.text_content() for p in root.findall("p")] == [
        "Первый абзац https://example.org/1вторая строка",
        "Второй: www.example.org.",
    ]
    assert len(root.findall("p/br")) == 1
    assert links(markup) == [
        ("https://example.org/1", "https://example.org/1"),
        ("http://www.example.org", "www.example.org"),
    ]
    assert links(paragraphs_html(notes, escaped_html)) == []


PLAIN = st.characters(exclude_categories=("Cc", "Cs"))  # what the catalog lets into notes


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(PLAIN, max_size=12),
            st.sampled_from(["https://", "http://x.ru/", "www.", "«", "»", "(", ")", "<a ", '"']),
        ),
        max_size=8,
    )
)
def test_any_line_shows_exactly_its_text(parts: list[str]) -> None:
    line = "".join(parts)
    markup = linked_html(line)
    root = lxml.html.fragment_fromstring(f"<div>[{markup}]</div>")  # [ ]: keep edge spaces
    assert {e.tag for e in root.iter()} <= {"div", "a"}
    assert all(href.lower().startswith(("http://", "https://")) for href, _ in links(markup))
    assert root.text_content() == f"[{line}]"
