"""Rich text from each sender into the one description format: vendor-shaped inputs convert
as a reader would expect, and for any input no HTML tag, NUL or control character survives,
the result is stable (converting it again changes nothing) and nothing ever raises."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from shared.domain import rich_text
from tests import rich_text_samples as samples

# What a renderer of the format would produce: only these tags may come out of it.
_RENDERER = MarkdownIt("commonmark", {"html": True, "breaks": True})
_SUBSET_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h1", "h2", "h3", "blockquote"}
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

CONVERTERS = [
    rich_text.rich_text,
    rich_text.from_html,
    rich_text.from_markdown,
    rich_text.from_wordpress,
    rich_text.from_strapi_blocks,
    rich_text.from_portable_text,
    rich_text.from_contentful,
]


def assert_in_format(text: str | None) -> None:
    if text is None:
        return
    assert not _CONTROL.search(text), repr(text)
    tokens = _RENDERER.parse(text)
    raw_html = [t for t in tokens if t.type == "html_block"] + [
        child for t in tokens for child in t.children or [] if child.type == "html_inline"
    ]
    assert raw_html == [], text
    rendered = _RENDERER.render(text)
    assert set(_TAG.findall(rendered)) <= _SUBSET_TAGS, (text, rendered)
    for link in re.findall(r'href="([^"]*)"', rendered):
        assert link.startswith(("http:", "https:", "mailto:")), (text, link)


@pytest.mark.parametrize(
    ("convert", "stored", "expected"),
    [
        (rich_text.from_strapi_blocks, samples.STRAPI_BLOCKS, samples.STRAPI_BLOCKS_TEXT),
        (rich_text.from_portable_text, samples.PORTABLE_TEXT, samples.PORTABLE_TEXT_TEXT),
        (rich_text.from_contentful, samples.CONTENTFUL_RICH_TEXT, samples.CONTENTFUL_TEXT),
        (rich_text.from_html, samples.WEBFLOW_HTML, samples.WEBFLOW_TEXT),
        (rich_text.from_wordpress, samples.WORDPRESS_BLOCKS, samples.WORDPRESS_TEXT),
        (rich_text.from_wordpress, samples.WORDPRESS_CLASSIC, samples.WORDPRESS_CLASSIC_TEXT),
        (rich_text.from_markdown, samples.STRAPI4_MARKDOWN, samples.STRAPI4_TEXT),
    ],
    ids=["strapi5-blocks", "sanity", "contentful", "webflow", "wp-blocks", "wp-classic", "strapi4"],
)
def test_vendor_rich_text_converts_to_the_description_format(
    convert: Any, stored: Any, expected: str
) -> None:
    converted = convert(stored)
    assert converted == expected
    assert_in_format(converted)
    assert rich_text.to_description(converted) == converted


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (samples.STRAPI_BLOCKS, samples.STRAPI_BLOCKS_TEXT),
        (samples.PORTABLE_TEXT, samples.PORTABLE_TEXT_TEXT),
        (samples.CONTENTFUL_RICH_TEXT, samples.CONTENTFUL_TEXT),
        (samples.WEBFLOW_HTML, samples.WEBFLOW_TEXT),
        (samples.STRAPI4_MARKDOWN, samples.STRAPI4_TEXT),
        ("Plain words.", "Plain words."),
        (25, "25"),
        (None, None),
        ({"nodeType": "paragraph"}, None),
    ],
)
def test_rich_text_tells_the_formats_apart_by_shape(stored: Any, expected: str | None) -> None:
    assert rich_text.rich_text(stored) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<p>Hi<script>alert(1)</script><style>p{}</style><img src=x onerror="x()"></p>', "Hi"),
        ('<a href="javascript:alert(1)">click</a> <a href="data:text/html,x">me</a>', "click me"),
        ("<p>&lt;b&gt;not bold&lt;/b&gt; &amp;amp; 5 * 3</p>", r"\<b>not bold\</b> \&amp; 5 \* 3"),
        ("<p>1. not a list</p><p># not a heading</p><p>- no bullet</p>", ""),
        ("<div>Mon</div><div>Tue</div>", "Mon\n\nTue"),
        ("<table><tr><th>Day</th><th>Time</th></tr><tr><td>Mon</td><td>7pm</td></tr></table>", ""),
        ("<h5>Small heading</h5>", "### Small heading"),
        (
            '<a href="https://x.example/a b(c)">spaced</a>',
            "[spaced](https://x.example/a%20b%28c%29)",
        ),
    ],
)
def test_html_keeps_words_and_drops_what_is_unsafe(html: str, expected: str) -> None:
    converted = rich_text.from_html(html)
    if html.startswith("<p>1."):
        expected = "1\\. not a list\n\n\\# not a heading\n\n\\- no bullet"
    if html.startswith("<table>"):
        expected = "Day | Time\n\nMon | 7pm"
    assert converted == expected
    assert_in_format(converted)


@pytest.mark.parametrize(
    ("sent", "title", "description"),
    [
        ("Bierfest &amp; Brass <Night>", "Bierfest & Brass <Night>", r"Bierfest & Brass \<Night>"),
        ("<Jazz & Blues> tonight", "<Jazz & Blues> tonight", r"\<Jazz & Blues> tonight"),
        ("A <Night> at <i>the</i> Opera", "A <Night> at the Opera", r"A \<Night> at *the* Opera"),
        ("Word<o:p></o:p> <my-widget>text</my-widget>", "Word text", "Word text"),
        ("<svg><path d='M0 0'/></svg>Icon <BR>", "Icon", "Icon"),
        ("<Festival> of <feBlend/>light", "<Festival> of light", r"\<Festival> of light"),
    ],
)
def test_a_word_in_angle_brackets_that_is_no_element_stays_text(
    sent: str, title: str, description: str
) -> None:
    assert rich_text.plain_text(sent) == title
    assert rich_text.from_html(f"<p>{sent}</p>") == description
    assert rich_text.description_text(description) == title


# Words, and the names a tag could have ("</3>" is a comment to HTML, not a tag).
_NAMES = st.sampled_from(["Night", "Jazz", "Brass", "Kids", "Opera", "Wine", "X1"])
_PIECES = st.one_of(
    _NAMES,
    st.sampled_from(["&", "3", "<3", "1<2"]),
    _NAMES.map(lambda word: f"<{word}>"),
    _NAMES.map(lambda word: f"</{word}>"),
    st.sampled_from(["<b>", "</b>", "<em>", "</em>", "<br>", "<span>", "</span>"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=12))
def test_plain_text_drops_elements_and_keeps_every_other_word(pieces: list[str]) -> None:
    """Known tags go; words, in angle brackets or not, stay in their order."""
    known = {"<b>", "</b>", "<em>", "</em>", "<br>", "<span>", "</span>"}
    expected = " ".join(" ".join(piece for piece in pieces if piece not in known).split())
    assert rich_text.plain_text(" ".join(pieces)) == (expected or None)


def test_plain_text_descriptions_stay_as_written() -> None:
    text = "Bring a laptop.\nDoors 7.30 pm - 11 pm, AT&T Arena (2nd floor)!\n\nSee you"
    assert rich_text.to_description(text) == text


def test_nul_and_control_characters_are_dropped() -> None:
    assert rich_text.from_html("<p>Jazz\x00Night\x07</p>") == "JazzNight"
    assert rich_text.from_portable_text([{"children": [{"text": "a\x00b"}]}]) == "ab"


def test_absurd_nesting_keeps_the_words_quickly() -> None:
    deep = "<div>" * 10_000 + "deep <b>words</b>" + "</div>" * 10_000
    assert rich_text.from_html(deep) == "deep words"
    assert rich_text.from_html("<p>x</p>" + "<div>" * 20_000 + "lost") == "x"  # read up to 64 KiB
    nested: list[Any] = []
    node = nested
    for _ in range(5_000):
        child: dict[str, Any] = {"type": "list", "format": "ordered", "children": []}
        node.append(child)
        node = child["children"]
    assert rich_text.from_strapi_blocks(nested) is None


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["text", "link", "list", "paragraph", "heading", "block", "span"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "_type",
                    "nodeType",
                    "children",
                    "content",
                    "text",
                    "value",
                    "marks",
                    "url",
                    "level",
                    "format",
                    "listItem",
                    "style",
                    "markDefs",
                    "_key",
                    "href",
                    "data",
                    "uri",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)
_MARKUP_PIECES = st.sampled_from(
    [
        *("<script>", "</script>", "<b>", "</b>", "<p>", "<!--", "-->", "<img src=x onerror=y>"),
        *("<a href='javascript:x'>", "</a>", "&lt;", "&amp;", "&#60;", "*", "_", "`", "[", "]("),
        *("\n", "\n\n", "# ", "> ", "- ", "1. ", "```", "---", "===", "\\", "\x00", "\ud800"),
        *("<https://x.y>", "<div>", "<li>", "<ul>", "    ", "\t", "<![CDATA[", "<?php", "\r\n"),
        *(
            "<br>",
            "<Night>",
            "</Night>",
            "<o:p>",
            "<Jazz & Blues>",
            "<my-widget>",
            "<svg><path d=x/>",
        ),
    ]
)
_MARKUPISH_TEXT = st.lists(st.one_of(st.text(max_size=8), _MARKUP_PIECES), max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_converters_never_raise_on_arbitrary_json(value: Any) -> None:
    for convert in CONVERTERS:
        assert_in_format(convert(value))


@settings(max_examples=400, deadline=None)
@given(_MARKUPISH_TEXT)
def test_no_html_tag_or_control_character_survives_text_conversion(text: str) -> None:
    for convert in (rich_text.from_html, rich_text.from_markdown, rich_text.from_wordpress):
        converted = convert(text)
        assert_in_format(converted)
        assert converted is None or "\x00" not in converted


@settings(max_examples=400, deadline=None)
@given(_MARKUPISH_TEXT)
def test_the_description_format_is_stable(text: str) -> None:
    once = rich_text.to_description(text)
    assert rich_text.to_description(once) == once
