"""The one description format, and rich text from every sender converted into it.

**The format.** A description is plain text or a small, safe Markdown subset (CommonMark
syntax): paragraphs separated by a blank line; a single newline is a line break; `**bold**`;
`*italic*`; `[text](https://...)` links (http, https and mailto only); `-` and `1.` lists,
nested by indentation; `#`, `##` and `###` headings; `>` quotes. Everything else becomes plain
text: images, tables (one line per row), code, underline and strike-through keep their words
and lose their markup; scripts, styles and comments are dropped. Characters that Markdown
would read as markup (`*`, `[`, `` ` ``, a `<tag>`, a line starting `1. `) are escaped with a
backslash, so a renderer shows them as written. Raw HTML is never stored.

Every converter here returns text in that format (or None when there is none), never raises
and never lets a NUL or any other control character through. `description_html` and
`description_text` (`shown.py`) show a stored description to people: sanitized HTML, or text
without markup.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import nh3
from markdown_it import MarkdownIt

from shared.domain.rich_text.html_markdown import (
    MAX_INPUT_CHARS,
    clean_text,
    html_to_description,
    text_for_unknown_tags,
)
from shared.domain.rich_text.shown import description_html, description_text
from shared.domain.rich_text.structured import (
    contentful_html,
    portable_text_html,
    strapi_blocks_html,
)
from shared.domain.rich_text.wordpress import wordpress_html

__all__ = [
    "MAX_INPUT_CHARS",
    "description_html",
    "description_text",
    "from_contentful",
    "from_html",
    "from_markdown",
    "from_portable_text",
    "from_strapi_blocks",
    "from_wordpress",
    "plain_text",
    "rich_text",
    "to_description",
]

# The parser the format is defined by: CommonMark, raw HTML recognised (and then sanitized),
# a newline inside a paragraph a line break.
_MARKDOWN = MarkdownIt("commonmark", {"html": True, "breaks": True})


# Converting is exact for what editors produce; for adversarial markup (emphasis split
# across elements, tags spelled across text nodes) one more reading may still change the text.
# The stored form is the fixed point, so that converting a stored description changes nothing.
_MAX_READINGS = 4


def _result(markdown: str) -> str | None:
    for _ in range(_MAX_READINGS):
        again = _read_markdown(markdown)
        if again == markdown:
            break
        markdown = again
    return markdown or None


def _read_markdown(markdown: str) -> str:
    return html_to_description(_MARKDOWN.render(clean_text(markdown[:MAX_INPUT_CHARS])))


def from_html(value: Any) -> str | None:
    """HTML (Webflow rich text, The Events Calendar, WooCommerce, any CMS)."""
    return _result(html_to_description(value)) if isinstance(value, str) else None


def from_markdown(value: Any) -> str | None:
    """Markdown or plain text (Strapi 4 rich text, API clients), raw HTML in it included."""
    if not isinstance(value, str):
        return None
    return _result(_read_markdown(value))


def from_wordpress(value: Any) -> str | None:
    """WordPress `post_content`: block editor or classic editor HTML."""
    return _result(html_to_description(wordpress_html(value))) if isinstance(value, str) else None


def from_strapi_blocks(value: Any) -> str | None:
    """Strapi 5 Blocks (the JSON array of its default rich-text field)."""
    return _result(html_to_description(strapi_blocks_html(value)))


def from_portable_text(value: Any) -> str | None:
    """Sanity Portable Text (an array of blocks)."""
    return _result(html_to_description(portable_text_html(value)))


def from_contentful(value: Any) -> str | None:
    """Contentful Rich Text (a `document` node)."""
    return _result(html_to_description(contentful_html(value)))


def plain_text(value: Any) -> str | None:
    """Text without any markup, for one-line fields (titles, names): HTML tags dropped (a
    `<word>` that is no HTML element, as in "Brass <Night>", kept as text), entity references
    decoded (WordPress renders "Jazz & Wine" as "Jazz &#038; Wine"), control characters
    dropped, whitespace collapsed. Numbers become their text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        return None
    html = text_for_unknown_tags(clean_text(value[:MAX_INPUT_CHARS]))
    text = unescape(nh3.clean(html, tags=set()))
    return " ".join(clean_text(text).split()) or None


def rich_text(value: Any) -> str | None:
    """Whichever of the above `value` is, told apart by its shape: a Contentful `document`,
    an array of Portable Text (`_type`) or Strapi (`type`) blocks, a string starting with an
    HTML tag, or else Markdown / plain text. Numbers become their text; other values None."""
    if isinstance(value, dict) and value.get("nodeType") == "document":
        return from_contentful(value)
    if isinstance(value, list):
        nodes = [node for node in value if isinstance(node, dict)]
        if any("_type" in node for node in nodes):
            return from_portable_text(value)
        return from_strapi_blocks(value)
    if isinstance(value, str):
        return from_html(value) if value.lstrip().startswith("<") else from_markdown(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


# Plain text that is already in the format as it stands: no character that could be markup,
# no line that could start a block, no whitespace a reading would change. Most descriptions
# are such, and pass in microseconds instead of a parse.
_MAYBE_MARKUP = re.compile(
    r"[\\`*_\[\]<>&\x00-\x09\x0b-\x1f\x7f\u00a0\u1680\u2000-\u200d\u2028-\u202f\u205f\u2060\u3000\ufeff\ud800-\udfff]"
    r"|(?:^|\n)(?:\s|[#>=~|!+-]|\d+[.)])|\s(?:\s|$)|\n\n\n|^$"
)


def to_description(value: str) -> str:
    """A description as the API stores it: the text in the description format."""
    if not _MAYBE_MARKUP.search(value):
        return value
    return from_markdown(value) or ""
