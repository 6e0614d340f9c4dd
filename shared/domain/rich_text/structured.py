"""Structured rich text as the senders store it, written out as simple HTML for the one HTML
path to the description format (html_markdown.py): Strapi 5 Blocks, Sanity Portable Text and
Contentful Rich Text.

Shapes follow each vendor's own definitions: Strapi's blocks validator
(`packages/core/core/src/services/entity-validator/blocks-validator.ts`: paragraph, heading,
quote, code, list with nested lists, image; text nodes with bold / italic / underline /
strikethrough / code, link nodes), the Portable Text specification (`block` with `style`,
`listItem`, `level`, `children` spans with `marks`, `markDefs` for links) and Contentful's
`@contentful/rich-text-types` (`document`, `paragraph`, `heading-1..6`, `ordered-list`,
`unordered-list`, `list-item`, `blockquote`, `hr`, `hyperlink`, `table`, text `marks`).
Anything else (embedded entries and assets, images, custom blocks) carries no text and is
left out. Nothing here raises: a node of the wrong shape is skipped.
"""

from __future__ import annotations

from html import escape
from typing import Any

# Deeper than any editor produces; a hostile document stops here instead of recursing on.
_MAX_DEPTH = 40


def _text(node: dict[str, Any], marks: set[str]) -> str:
    html = escape(str(node.get("text") or node.get("value") or ""))
    if "bold" in marks or "strong" in marks:
        html = f"<strong>{html}</strong>"
    if "italic" in marks or "em" in marks:
        html = f"<em>{html}</em>"
    return html


def _link(href: Any, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if isinstance(href, str) and href else inner


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _nodes(value: Any) -> list[dict[str, Any]]:
    return [node for node in value if isinstance(node, dict)] if isinstance(value, list) else []


# --- Strapi 5 Blocks ---------------------------------------------------------------------


def strapi_blocks_html(blocks: Any) -> str:
    return "".join(_strapi_block(block, 0) for block in _nodes(blocks))


def _strapi_inline(children: Any, depth: int) -> str:
    parts = []
    for node in _nodes(children):
        if node.get("type") == "link" and depth < _MAX_DEPTH:
            parts.append(_link(node.get("url"), _strapi_inline(node.get("children"), depth + 1)))
        elif node.get("type") == "text":
            parts.append(_text(node, {k for k in ("bold", "italic") if node.get(k) is True}))
    return "".join(parts)


def _strapi_block(block: dict[str, Any], depth: int) -> str:
    kind, children = block.get("type"), block.get("children")
    if depth > _MAX_DEPTH:
        return ""
    if kind == "heading":
        level = block.get("level") if block.get("level") in (1, 2, 3, 4, 5, 6) else 2
        return f"<h{level}>{_strapi_inline(children, depth)}</h{level}>"
    if kind == "quote":
        return f"<blockquote>{_strapi_inline(children, depth)}</blockquote>"
    if kind == "code":  # lines kept, formatting not (the subset has no code)
        lines = escape("".join(str(n.get("text") or "") for n in _nodes(children)))
        return "<p>" + lines.replace("\n", "<br>") + "</p>"
    if kind == "list":
        tag = "ol" if block.get("format") == "ordered" else "ul"
        items: list[str] = []
        for child in _nodes(children):
            if child.get("type") == "list" and items:  # a nested list belongs to its item
                items[-1] += _strapi_block(child, depth + 1)
            elif child.get("type") == "list":
                items.append(_strapi_block(child, depth + 1))
            else:
                items.append(_strapi_inline(child.get("children"), depth))
        return f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>"
    if kind == "paragraph":
        return f"<p>{_strapi_inline(children, depth).replace(chr(10), '<br>')}</p>"
    return ""  # images and unknown blocks carry no description text


# --- Sanity Portable Text ----------------------------------------------------------------

_PT_STYLES = {"h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


def portable_text_html(blocks: Any) -> str:
    html: list[str] = []
    run: list[tuple[int, str, str]] = []  # consecutive list blocks: one list, nested by level
    for block in _nodes(blocks):
        if block.get("_type", "block") != "block":
            continue
        if block.get("listItem"):
            level = block["level"] if isinstance(block.get("level"), int) else 1
            kind = "ol" if block.get("listItem") == "number" else "ul"
            run.append((max(1, min(level, 8)), kind, _portable_spans(block)))
            continue
        html.append(_nested_list(run))
        run = []
        style = block["style"] if _str(block.get("style")) in _PT_STYLES else "p"
        html.append(f"<{style}>{_portable_spans(block)}</{style}>")
    return "".join(html) + _nested_list(run)


def _nested_list(items: list[tuple[int, str, str]]) -> str:
    """`items` (level, list tag, item HTML) as nested lists, each inside its parent item."""
    html: list[str] = []
    stack: list[tuple[int, str]] = []  # open lists, innermost last, each with an open <li>
    for level, tag, inner in items:
        while stack and (stack[-1][0] > level or (stack[-1][0] == level and stack[-1][1] != tag)):
            html.append(f"</li></{stack.pop()[1]}>")
        if stack and stack[-1][0] == level:
            html.append(f"</li><li>{inner}")
            continue
        stack.append((level, tag))
        html.append(f"<{tag}><li>{inner}")
    html.extend(f"</li></{tag}>" for _, tag in reversed(stack))
    return "".join(html)


def _portable_spans(block: dict[str, Any]) -> str:
    links = {
        _str(d.get("_key")): d.get("href")
        for d in _nodes(block.get("markDefs"))
        if d.get("_type") == "link"
    }
    parts = []
    for span in _nodes(block.get("children")):
        if span.get("_type", "span") != "span":
            continue
        marks: list[Any] = span["marks"] if isinstance(span.get("marks"), list) else []
        html = _text(span, {m for m in marks if isinstance(m, str)}).replace("\n", "<br>")
        for mark in marks:
            if isinstance(mark, str) and mark in links:
                html = _link(links[mark], html)
        parts.append(html)
    return "".join(parts)


# --- Contentful Rich Text ----------------------------------------------------------------

_CF_BLOCKS = {
    "paragraph": "p",
    "heading-1": "h1",
    "heading-2": "h2",
    "heading-3": "h3",
    "heading-4": "h4",
    "heading-5": "h5",
    "heading-6": "h6",
    "blockquote": "blockquote",
    "unordered-list": "ul",
    "ordered-list": "ol",
    "list-item": "li",
    "table": "table",
    "table-row": "tr",
    "table-cell": "td",
    "table-header-cell": "th",
}


def contentful_html(document: Any) -> str:
    return _contentful_node(document, 0) if isinstance(document, dict) else ""


def _contentful_node(node: dict[str, Any], depth: int) -> str:
    kind = node.get("nodeType")
    if kind == "text":
        marks = {_str(m.get("type")) for m in _nodes(node.get("marks"))}
        return _text(node, {m for m in marks if m}).replace("\n", "<br>")
    if depth > _MAX_DEPTH:
        return ""
    inner = "".join(_contentful_node(child, depth + 1) for child in _nodes(node.get("content")))
    if kind == "hyperlink":
        data = node.get("data")
        return _link(data.get("uri") if isinstance(data, dict) else None, inner)
    if kind == "hr":
        return "<hr>"
    tag = _CF_BLOCKS.get(str(kind))
    if tag:
        return f"<{tag}>{inner}</{tag}>"
    # document and the entry / asset / resource hyperlinks keep their text; embedded
    # entries and assets (blocks and inlines) have none of their own.
    return "" if str(kind).startswith("embedded-") else inner
