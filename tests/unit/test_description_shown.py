"""A stored description shown to people: its Markdown rendered as HTML that is safe in any
page whatever the text holds, or as plain text without markup (JSON-LD, iCalendar)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.rich_text import description_html, description_text, to_description

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4"}
_ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}}


class _Elements(HTMLParser):
    """Every element and attribute of a fragment, as a browser's tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def assert_safe(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    assert parser.comments == [], html
    for tag, attrs in parser.found:
        assert tag in _TAGS, html
        assert set(attrs) <= _ATTRIBUTES.get(tag, set()), html
        if tag == "a":
            assert attrs["rel"] == "nofollow ugc noopener", html
            href = attrs.get("href")
            assert href is None or href.lower().startswith(("http:", "https:", "mailto:")), html


def test_the_format_renders_as_html() -> None:
    stored = (
        "# Programme\n\nBring a **laptop** and *snacks*.\nDoors at 7.\n\n"
        "- [Tickets](https://tickets.example.com/e/42)\n- Bar\n\n1. One\n2. Two\n\n> Quoted"
    )
    assert description_html(stored) == (
        "<h2>Programme</h2>\n"
        "<p>Bring a <strong>laptop</strong> and <em>snacks</em>.<br>\nDoors at 7.</p>\n"
        '<ul>\n<li><a href="https://tickets.example.com/e/42" rel="nofollow ugc noopener">'
        "Tickets</a></li>\n<li>Bar</li>\n</ul>\n"
        "<ol>\n<li>One</li>\n<li>Two</li>\n</ol>\n"
        "<blockquote>\n<p>Quoted</p>\n</blockquote>"
    )


def test_the_format_reads_as_plain_text() -> None:
    stored = (
        "# Programme\n\nBring a **laptop** and *snacks*.\nDoors at 7.\n\n"
        "- [Tickets](https://tickets.example.com/e/42)\n- Bar\n  - Cash only\n\n"
        "3. Three\n4. Four\n\n> Quoted\n\nWrite to <mailto:jazz@example.com> or "
        "[us](mailto:jazz@example.com), see <https://example.com>."
    )
    assert description_text(stored) == (
        "Programme\n\nBring a laptop and snacks.\nDoors at 7.\n\n"
        "- Tickets (https://tickets.example.com/e/42)\n- Bar\n  - Cash only\n\n"
        "3. Three\n4. Four\n\nQuoted\n\nWrite to mailto:jazz@example.com or "
        "us (jazz@example.com), see https://example.com."
    )


@pytest.mark.parametrize("meant", ["5 * 3 = 15", "Prices [sic]", "snake_case_name", "A & B"])
def test_text_stored_escaped_shows_as_it_was_written(meant: str) -> None:
    stored = to_description(meant)
    assert description_text(stored) == meant
    assert "\\" not in description_html(stored)


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<style>body{display:none}</style>",
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](//evil.example/path)",
    "[x](/relative)",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    '[x](https://ok.example/" onmouseover="alert(1))',
    "<javascript:alert(1)>",
    "![x](https://img.example/a.png)",
    "![x](javascript:alert(1))",
    '<div onclick="alert(1)">click</div>',
    "<!-- comment --><p style='color:red'>red</p>",
    "```\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<form action=https://evil.example><input name=q></form>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_renders_as_safe_html(hostile: str) -> None:
    for text in (hostile, to_description(hostile)):
        html = description_html(text)
        assert_safe(html)
        assert "<script" not in html.lower()


def test_tags_in_the_text_show_as_text() -> None:
    html = description_html("<script>alert(1)</script> & <b>bold</b>")
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>"
    assert description_text("<script>alert(1)</script>") == "<script>alert(1)</script>"


_PIECES = st.sampled_from(
    [
        *("<script>", "</script>", "<b>", "<img src=x onerror=y>", "<a href='javascript:x'>"),
        *("</a>", "&lt;", "&#60;", "*", "**", "_", "`", "[", "](", ")", "](javascript:x)"),
        *("](https://ok.example)", "](mailto:a@b.example)", "](/rel)", "![", "<https://x.y>"),
        *("\n", "\n\n", "# ", "## ", "> ", "- ", "1. ", "3) ", "```", "---", "\\", "    "),
        *('"', "'", " onmouseover=", "<!--", "-->", "<style>", "\x00", "\r\n", "<"),
    ]
)
_MARKDOWNISH = st.lists(st.one_of(st.text(max_size=6), _PIECES), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(_MARKDOWNISH)
def test_any_text_renders_as_safe_html(text: str) -> None:
    assert_safe(description_html(text))
    assert_safe(description_html(to_description(text)))


@settings(max_examples=100, deadline=None)
@given(_MARKDOWNISH)
def test_plain_text_has_no_control_characters(text: str) -> None:
    shown = description_text(to_description(text))
    assert not any(ord(c) < 32 and c != "\n" for c in shown), repr(shown)
