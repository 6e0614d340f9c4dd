"""HTML to the description format: sanitized by nh3 (Ammonia), converted by markdownify.

nh3 parses with a browser-grade HTML5 parser, keeps only the tags listed here (the text of
any other tag stays; `<script>` and `<style>` go with their content; comments, such as
WordPress block comments, go), and keeps only `http`, `https` and `mailto` links. markdownify
then writes what is left as the description's Markdown subset; its text escaping is ours, so
that text which Markdown would read as markup (a `<tag>`, `*stars*`, a line starting `1. `)
stays text.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape
from typing import Any
from urllib.parse import quote

import nh3
from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag
from markdownify import MarkdownConverter

# Block and inline elements whose meaning survives into the subset, and containers whose
# boundaries must not glue neighbouring text together.
_KEPT_TAGS = {
    *("p", "br", "strong", "b", "em", "i", "a", "ul", "ol", "li", "blockquote"),
    *("h1", "h2", "h3", "h4", "h5", "h6"),
    *("div", "section", "article", "header", "footer", "aside", "main", "address"),
    *("figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "td", "th"),
    *("dl", "dt", "dd", "hr"),
}
_LINK_SCHEMES = {"http", "https", "mailto"}
# Text directly inside anything else starts a line of the Markdown written for it.
_INLINE = {"strong", "b", "em", "i", "a"}

# Markup characters; '<' that could
# open a tag or an autolink; '&' that could start an entity reference.
_MARKUP = re.compile(r"([*`\[\]])")
_UNDERSCORE_AT_WORD_EDGE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_TAG_OPENER = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# At the start of a line: what would begin a heading, quote, list, rule or fence there; after
# a line break also what would underline the line before into a heading.
_LINE_MARKER = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|-(?=(?:\s*-){2,}\s*$)|~{3,})")
_ORDERED_MARKER = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")
_CLOSING_HASHES = re.compile(r"(^|\s)(#+)$")
_UNDERLINE = re.compile(r"^(\s*)([=-])(?=[=-]*\s*$)")


def escape(text: str, line_start: bool, after_break: bool = False, then: str = "") -> str:
    """`text` as Markdown that reads back as exactly this text, when it is written at the
    start of a line (`line_start`) that follows a line break (`after_break`), and followed on
    its line by a character like `then` ("" at the end of the line)."""
    if then:  # the patterns look one character ahead
        return escape(text + then, line_start, after_break)[: -len(then)]
    text = text.replace("\\", "\\\\")
    text = _MARKUP.sub(r"\\\1", text)
    text = _UNDERSCORE_AT_WORD_EDGE.sub(r"\\_", text)
    text = _TAG_OPENER.sub(r"\\<", text)
    text = _ENTITY.sub(r"\\&", text)
    if line_start:
        text = _LINE_MARKER.sub(r"\1\\\2", text)
        text = _ORDERED_MARKER.sub(r"\1\\\2", text)
    if after_break:
        text = _UNDERLINE.sub(r"\1\\\2", text)
    return text


class _SubsetWriter(MarkdownConverter):
    """markdownify, writing only the description subset."""

    def __init__(self) -> None:
        super().__init__(
            heading_style="atx",
            bullets="-",
            strong_em_symbol="*",
            autolinks=False,
            wrap=True,  # whitespace in HTML text is one space; line breaks come from <br>
            wrap_width=None,
        )
        self._line_start = self._after_break = False
        self._then = ""

    def convert_soup(self, soup: BeautifulSoup) -> str:
        _simplify(soup)
        return str(super().convert_soup(soup))

    def convert_strong(self, el: Any, text: str, parent_tags: Any) -> str:
        return _emphasis(el, text, "**")

    def convert_em(self, el: Any, text: str, parent_tags: Any) -> str:
        return _emphasis(el, text, "*")

    def process_text(self, el: Any, parent_tags: Any = None) -> str:
        previous = _visible_before(el)
        # After a line break that ends a line of text, a line of '=' or '-' would underline
        # that text into a heading.
        self._after_break = _is_br(previous) and _is_text(_visible_before(previous))
        self._line_start = previous is None or not _is_text(previous)
        following = _visible_after(el)
        self._then = _stand_in(following)
        text = str(super().process_text(el, parent_tags))  # type: ignore[misc]
        if text.endswith("!") and isinstance(following, Tag) and following.name == "a":
            text = text[:-1] + "\\!"  # '![' would make the link an image
        # Indentation in the source is not text (and four spaces would make a code block).
        return _LEADING_SPACE.sub("", text) if self._line_start else text

    def escape(self, text: str, parent_tags: Any) -> str:
        return escape(text, self._line_start, self._after_break, self._then) if text else ""

    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        href = el.get("href") or ""
        scheme = href.partition(":")[0].lower() if ":" in href else ""
        if not text.strip() or scheme not in _LINK_SCHEMES:  # relative links lead nowhere
            return text
        # Spaces, parentheses and angle brackets would end or break the link destination.
        destination = quote(href, safe="!#$%&'*+,-./:;=?@[]_~")
        return f"[{text}]({destination})"

    def convert_blockquote(self, el: Any, text: str, parent_tags: Any) -> str:
        quoted = super().convert_blockquote(el, text, parent_tags)  # type: ignore[misc]
        return "\n" + str(quoted)  # a quote after a paragraph is a block of its own

    def convert_br(self, el: Any, text: str, parent_tags: Any) -> str:
        if "_inline" in parent_tags:
            return " "
        # One <br> breaks the line; a run of them is a blank line, which in Markdown ends
        # the paragraph however long the run.
        run = 0
        while _is_br(before := _visible_before(el)) and run < 2:
            run, el = run + 1, before
        return "" if run >= 2 else "\n"

    def convert_hN(self, n: int, el: Any, text: str, parent_tags: Any) -> str:
        # A heading's trailing run of '#' would be read as its closing sequence.
        text = _CLOSING_HASHES.sub(r"\1\\\2", text.rstrip())
        return str(super().convert_hN(min(n, 3), el, text, parent_tags))  # type: ignore[misc]

    def convert_hr(self, el: Any, text: str, parent_tags: Any) -> str:
        return "\n\n"

    def convert_td(self, el: Any, text: str, parent_tags: Any) -> str:
        return " " + text.strip().replace("\n", " ") + " |"

    convert_th = convert_td

    def convert_tr(self, el: Any, text: str, parent_tags: Any) -> str:
        return "\n\n" + text.strip().removesuffix("|").strip() + "\n\n"

    def convert_table(self, el: Any, text: str, parent_tags: Any) -> str:
        return "\n\n" + text.strip() + "\n\n"

    convert_dl = convert_dt = convert_dd = convert_figcaption = convert_table
    convert_header = convert_footer = convert_aside = convert_main = convert_table
    convert_address = convert_figure = convert_table


def _visible_before(el: Any) -> Any:
    """What is written on the same line before `el`: the nearest earlier node with text (or a
    <br>) within the enclosing block, or None when `el` starts the line."""
    return _visible_beside(el, "previous_sibling")


def _visible_after(el: Any) -> Any:
    """What is written on the same line after `el`, or None when `el` ends the line."""
    return _visible_beside(el, "next_sibling")


def _visible_beside(el: Any, direction: str) -> Any:
    node = el
    while True:
        beside = getattr(node, direction)
        while beside is not None and not _visible(beside):
            beside = getattr(beside, direction)
        if beside is not None:
            return beside
        node = node.parent
        if node is None or node.name not in _INLINE:
            return None


def _stand_in(following: Any) -> str:
    """A character that escaping treats as it treats what `following` writes first ("" when
    nothing follows on the line); escaping leaves it as it is."""
    if not _is_text(following):
        return ""
    if isinstance(following, Tag):
        text = "," if following.name == "a" and following.get("href") else following.get_text()
    else:
        text = str(following)
    first = text[:1]
    if first.isspace():
        return " "
    if first.isascii() and first.isalnum():
        return "0" if first.isdigit() else "a"
    return first if first in "/!?" else ","


def _is_text(node: Any) -> bool:
    """Whether `node` writes text on the line it is on (not None, a <br> or a block)."""
    return node is not None and (not isinstance(node, Tag) or node.name in _INLINE)


def _is_br(node: Any) -> bool:
    return isinstance(node, Tag) and node.name == "br"


def _visible(node: Any) -> bool:
    if isinstance(node, Tag):
        return node.name == "br" or bool(node.get_text().strip())
    return bool(str(node).strip())


_EMPHASIS = {"b": "strong", "strong": "strong", "i": "em", "em": "em"}


def _simplify(soup: BeautifulSoup) -> None:
    """Headings and links without blocks inside; list items only in lists; for emphasis,
    one name per kind (b is strong, i is em), none inside its own kind, and adjacent runs of
    one kind joined: `**a****b**` would not read back as two bold words."""
    for el in soup.find_all("li"):
        if el.parent is None or el.parent.name not in ("ul", "ol"):
            el.name = "p"  # an item outside any list reads as a paragraph
    for holder in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "a"]):
        for inner in _blocks_in(holder):
            inner.unwrap()  # a heading or link holds one line of text, no blocks
    for listing in soup.find_all(["ul", "ol"]):
        for child in list(listing.children):  # and anything else in a list is an item
            if not (isinstance(child, Tag) and child.name == "li") and _visible(child):
                child.wrap(soup.new_tag("li"))
    for el in soup.find_all(list(_EMPHASIS)):
        el.name = _EMPHASIS[el.name]
    for el in soup.find_all(["strong", "em"]):
        if el.find_parent(el.name) is not None:
            el.unwrap()
    for el in soup.find_all(["strong", "em"]):
        follower = el.next_sibling
        while isinstance(follower, Tag) and follower.name == el.name:
            el.extend(list(follower.contents))
            follower.decompose()
            follower = el.next_sibling


def _blocks_in(el: Tag) -> list[Tag]:
    return [
        node
        for node in el.descendants
        if isinstance(node, Tag) and node.name not in _INLINE and node.name != "br"
    ]


def _emphasis(el: Tag, text: str, marker: str) -> str:
    """`text` between `marker`s where CommonMark would read them as emphasis there (its
    left- and right-flanking rules), else the text alone."""
    core = text.strip()
    if not core:
        return ""
    prefix, suffix = (
        _outer_space(text[: text.index(core)]),
        _outer_space(text[len(text.rstrip()) :]),
    )
    text = core
    before = _edge_char(el.previous_sibling, last=True)
    after = _edge_char(el.next_sibling, last=False)
    if "\n\n" in text or _blocks_in(el):
        return f"{prefix}{text}{suffix}"  # emphasis cannot span blocks
    opens = not _punctuation(text[0]) or before is None or _space_or_punctuation(before)
    closes = not _punctuation(text[-1]) or after is None or _space_or_punctuation(after)
    wrapped = f"{marker}{text}{marker}" if opens and closes else text
    return f"{prefix}{wrapped}{suffix}"


def _outer_space(space: str) -> str:
    """Whitespace moved outside the markers: a paragraph or line break stays one, the rest is
    one space."""
    return "\n\n" if "\n\n" in space else "\n" if "\n" in space else " " if space else ""


def _edge_char(node: Any, last: bool) -> str | None:
    if node is None:
        return None
    text = str(node) if isinstance(node, NavigableString) else node.get_text()
    if isinstance(node, Tag) and node.name == "br":
        return "\n"
    return (text[-1] if last else text[0]) if text else None


def _punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _space_or_punctuation(char: str) -> bool:
    return char.isspace() or _punctuation(char)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")
# Whitespace that Markdown parsers trim from the ends of a line (JavaScript's trim(): any
# Unicode space and the byte-order mark), newlines aside.
_TRAILING_SPACE = re.compile(r"[^\S\n\r]+$|\ufeff+$", re.MULTILINE)
_LEADING_SPACE = re.compile(r"^[^\S\n\r\ufeff]*(?:\ufeff[^\S\n\r]*)*")
_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
# Editors (Webflow, WordPress) leave paragraphs holding only a zero-width joiner or space.
_INVISIBLE_LINE = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]+$", re.MULTILINE)


def clean_text(text: str) -> str:
    """Without NUL and other control characters (tab and newlines stay) and with lone UTF-16
    surrogates (undecodable by anything downstream) replaced by U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(lambda m: "" if m.group() < "\ud800" else "\ufffd", text)


# Rich text is read up to this many characters: a description keeps at most 10,000, and
# pathological markup costs parsers time superlinearly (0.2 s for 64 KiB nested 6,000 deep).
MAX_INPUT_CHARS = 65_536


# Element names of HTML (current and obsolete ones editors still emit), SVG and MathML: a
# `<name` that opens none of these, and is no custom (`my-widget`) or namespaced (Word's
# `o:p`) element, is a person's text ("Brass <Night>", "<Jazz & Blues>"), which a parser
# would take for an unknown element and drop.
_ELEMENT_NAMES = """
    a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound
    big blink blockquote body br button canvas caption center cite code col colgroup data
    datalist dd del details dfn dialog dir div dl dt em embed fieldset figcaption figure font
    footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img
    input ins isindex kbd keygen label legend li link listing main map mark marquee menu
    menuitem meta meter multicol nav nextid nobr noembed noframes noscript object ol optgroup
    option output p param picture plaintext pre progress q rb rp rt rtc ruby s samp script
    search section select slot small source spacer span strike strong style sub summary sup
    table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr
    xmp svg animate animatemotion animatetransform circle clippath defs desc ellipse filter
    foreignobject g line lineargradient marker mask metadata mpath path pattern polygon
    polyline radialgradient rect set stop switch symbol text textpath tspan use view math
    maction annotation menclose merror mfrac mi mmultiscripts mn mo mover mpadded mphantom
    mprescripts mroot mrow ms mspace msqrt mstyle msub msubsup msup mtable mtd mtext mtr munder
    munderover none semantics feblend fecolormatrix fecomponenttransfer fecomposite
    feconvolvematrix fediffuselighting fedisplacementmap fedistantlight fedropshadow feflood
    fefunca fefuncb fefuncg fefuncr fegaussianblur feimage femerge femergenode femorphology
    feoffset fepointlight fespecularlighting fespotlight fetile feturbulence"""
_ELEMENTS = frozenset(_ELEMENT_NAMES.split())
# A tag's name ends at a space, `/` or `>`; one cut off by the input's end opens nothing.
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][^\s/>]*)(?=[\s/>])")


def text_for_unknown_tags(html: str) -> str:
    """`html` with every `<` that opens no known element written `&lt;`, so that it stays
    text."""

    def written(match: re.Match[str]) -> str:
        name = match.group(2).lower()
        known = name in _ELEMENTS or "-" in name or ":" in name
        return match.group() if known else "&lt;" + match.group()[1:]

    return _TAG_OPEN.sub(written, html)


def html_to_description(html: str) -> str:
    """The description (Markdown subset) that `html` says; never raises."""
    safe = nh3.clean(
        text_for_unknown_tags(clean_text(html[:MAX_INPUT_CHARS])),
        tags=_KEPT_TAGS,
        attributes={"a": {"href"}, "ol": {"start"}},
        url_schemes=_LINK_SCHEMES,
        link_rel=None,
    )
    if _depth(safe) > _MAX_DEPTH:  # no editor nests this deep; converting it would be slow
        return tidy(escape(_text_only(safe), line_start=True))
    return tidy(_SubsetWriter().convert(safe))


_MAX_DEPTH = 48
_TAG = re.compile(r"<(/?)([a-z0-9]+)")
_VOID = {"br", "hr"}


def _depth(html: str) -> int:
    """How deeply the elements of nh3's (well-formed) output nest."""
    depth = deepest = 0
    for closing, name in _TAG.findall(html):
        if name in _VOID:
            continue
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


def _text_only(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(nh3.clean(html, tags=set())))


def tidy(markdown: str) -> str:
    markdown = _INVISIBLE_LINE.sub("", _TRAILING_SPACE.sub("", markdown))
    markdown = _INNER_SPACES.sub(" ", markdown)
    return _BLANK_LINES.sub("\n\n", markdown).strip()
