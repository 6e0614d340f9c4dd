"""A stored description shown to people: as safe HTML (event pages, Atom and JSON Feed
content) or as plain text (schema.org JSON-LD, iCalendar DESCRIPTION, JSON Feed text).

Both read the text as the format is defined (CommonMark by markdown-it, a newline a line
break) with raw HTML off, so a tag in the text stays text; an image is its alt text and a
link to anything but http, https or mailto is its text. The HTML is then sanitized by nh3
whatever went in: only the format's tags (headings one level down, under the page's own
title) and links, each with `rel="nofollow ugc noopener"`; no script, style, image, event
handler or other attribute can come out, so it asks nothing of a page's strict
Content-Security-Policy. The text keeps every word, a link's address after its text, and a
list's items one a line.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from shared.domain.rich_text.html_markdown import MAX_INPUT_CHARS, clean_text

_PARSER = MarkdownIt("commonmark", {"html": False, "breaks": True})

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
# An event page shows its description on every request: the last few rendered are kept.
_REMEMBERED = 256


@functools.lru_cache(maxsize=_REMEMBERED)
def description_html(markdown: str) -> str:
    """The description as an HTML fragment that is safe to insert into any page."""
    tokens = _parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 4)}"  # the page's title is the h1
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    return sanitize(html)


def sanitize(html: str) -> str:
    """`html` with only the description's tags, attributes and link schemes left."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        url_relative="deny",
        link_rel=LINK_REL,
    ).strip()


@functools.lru_cache(maxsize=_REMEMBERED)
def description_text(markdown: str) -> str:
    """The description without markup: paragraphs apart by a blank line, a list's items one
    a line (`- ` or `1. `, nested ones indented), a link as its text and then its address."""
    writer = _TextWriter()
    for token in _parse(markdown):
        writer.take(token)
    return writer.text()


def _parse(markdown: str) -> list[Token]:
    """The text's tokens, with images as their alt text and links that lead nowhere we allow
    (relative, or another scheme) as their text."""
    tokens = _PARSER.parse(clean_text(markdown[:MAX_INPUT_CHARS]))
    for token in tokens:
        if token.children:
            token.children = _plain_where_unsafe(token.children)
    return tokens


def _plain_where_unsafe(children: list[Token]) -> list[Token]:
    kept: list[Token] = []
    dropped = 0  # links opened and dropped, still open
    for child in children:
        if child.type == "image":
            kept.append(Token("text", "", 0, content=child.content))
        elif child.type == "link_open" and not _allowed(str(child.attrs.get("href", ""))):
            dropped += 1
        elif child.type == "link_close" and dropped:
            dropped -= 1
        else:
            kept.append(child)
    return kept


def _allowed(href: str) -> bool:
    scheme, colon, _ = href.partition(":")
    return bool(colon) and scheme.lower() in _SCHEMES


class _TextWriter:
    def __init__(self) -> None:
        self._lines: list[str] = []
        self._lists: list[list[int]] = []  # per open list: [next number], or [] when bulleted
        self._marker = ""  # the pending list item's marker, for its first line

    def take(self, token: Token) -> None:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            self._block_gap()
            start = int(token.attrs.get("start", 1) or 1)
            self._lists.append([start] if token.type == "ordered_list_open" else [])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            self._lists.pop()
        elif token.type == "list_item_open":
            self._marker = self._next_marker()
        elif token.type in ("paragraph_open", "heading_open", "blockquote_open", "hr"):
            self._block_gap()
        elif token.type == "inline":
            self._write(_inline_text(token.children or []))
        elif token.type in ("code_block", "fence"):
            self._block_gap()
            self._write(token.content.rstrip("\n"))

    def text(self) -> str:
        return "\n".join(self._lines).strip("\n")

    def _next_marker(self) -> str:
        current = self._lists[-1] if self._lists else []
        if not current:
            return "- "
        number = current[0]
        current[0] += 1
        return f"{number}. "

    def _block_gap(self) -> None:
        """A blank line before a block, except between the items of a list."""
        if self._lines and self._lines[-1] != "" and not self._lists:
            self._lines.append("")

    def _write(self, text: str) -> None:
        """`text`'s lines, the first after the pending item's marker, the others under it."""
        indent = "  " * max(0, len(self._lists) - 1)
        first, *others = text.split("\n")
        self._lines.append(indent + self._marker + first)
        self._lines += [indent + " " * len(self._marker) + line for line in others]
        self._marker = ""


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    link: tuple[str, int] | None = None  # the open link's address, where its text starts
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            link = (str(child.attrs.get("href", "")), len(parts))
        elif child.type == "link_close" and link is not None:
            href, start = link
            shown = "".join(parts[start:])
            address = href.removeprefix("mailto:")
            if shown not in (href, address):
                parts.append(f" ({address})")
            link = None
    return "".join(parts)
