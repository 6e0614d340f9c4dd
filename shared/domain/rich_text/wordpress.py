"""WordPress `post_content` as HTML: block comments and known shortcodes removed, and the
paragraphs that WordPress itself would make at display time (wpautop) made explicit.

Block editor content wraps each block in `<!-- wp:name {...} -->` comments; classic editor
content is text whose blank lines are paragraphs. Shortcodes are removed only for the
families WordPress core and the common page builders and event plugins register, so a
bracketed word such as "[sic]" in the text stays.
"""

from __future__ import annotations

import re

_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
_SHORTCODE = re.compile(
    r"\[/?(?:caption|wp_caption|gallery|audio|video|playlist|embed|tribe_[\w-]*|"
    r"contact-form-7|et_pb_[\w-]*|vc_[\w-]*|fusion_[\w-]*|elementor-template)"
    r"(?:\s[^\]]*)?/?\]"
)
_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|ul|ol|li|h[1-6]|blockquote|table|figure|section|article|pre|hr|dl)\b",
    re.IGNORECASE,
)


def wordpress_html(content: str) -> str:
    content = _SHORTCODE.sub("", _BLOCK_COMMENT.sub("", content))
    chunks = re.split(r"\n\s*\n", content.replace("\r\n", "\n"))
    return "\n".join(_paragraph(chunk) for chunk in chunks if chunk.strip())


def _paragraph(chunk: str) -> str:
    if _BLOCK_START.match(chunk):
        return chunk
    return "<p>" + chunk.strip().replace("\n", "<br>\n") + "</p>"
