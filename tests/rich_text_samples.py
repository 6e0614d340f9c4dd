"""Rich text as each sender stores it, shaped after the vendors' own definitions: Strapi's
blocks validator and Blocks renderer types, Sanity's Portable Text specification, Contentful's
`@contentful/rich-text-types`, Webflow's rich-text field HTML, WordPress block editor markup
(with `<!-- wp:... -->` comments) and Strapi 4's Markdown rich text."""

from __future__ import annotations

from typing import Any

STRAPI_BLOCKS: list[dict[str, Any]] = [
    {"type": "heading", "level": 2, "children": [{"type": "text", "text": "Programme"}]},
    {
        "type": "paragraph",
        "children": [
            {"type": "text", "text": "Doors open at "},
            {"type": "text", "text": "7 pm", "bold": True},
            {"type": "text", "text": "; the "},
            {"type": "text", "text": "Vienna", "italic": True, "underline": True},
            {"type": "text", "text": " line-up is on "},
            {
                "type": "link",
                "url": "https://example.org/line-up",
                "children": [{"type": "text", "text": "our site"}],
            },
            {"type": "text", "text": "."},
        ],
    },
    {
        "type": "list",
        "format": "unordered",
        "children": [
            {"type": "list-item", "children": [{"type": "text", "text": "Street food"}]},
            {
                "type": "list",
                "format": "ordered",
                "indentLevel": 1,
                "children": [
                    {"type": "list-item", "children": [{"type": "text", "text": "Vegan"}]},
                ],
            },
            {"type": "list-item", "children": [{"type": "text", "text": "Natural wine"}]},
        ],
    },
    {
        "type": "image",
        "image": {
            "name": "crowd.jpg",
            "alternativeText": "The crowd at last year's night",
            "url": "/uploads/crowd_3f2a.jpg",
            "caption": None,
            "width": 1200,
            "height": 800,
            "hash": "crowd_3f2a",
            "ext": ".jpg",
            "mime": "image/jpeg",
            "size": 120.5,
            "provider": "local",
            "createdAt": "2026-05-01T10:00:00.000Z",
            "updatedAt": "2026-05-01T10:00:00.000Z",
        },
        "children": [{"type": "text", "text": ""}],
    },
    {"type": "quote", "children": [{"type": "text", "text": "Best night of the summer"}]},
    {"type": "code", "language": "plaintext", "children": [{"type": "text", "text": "a\nb"}]},
]
STRAPI_BLOCKS_TEXT = (
    "## Programme\n\n"
    "Doors open at **7 pm**; the *Vienna* line-up is on [our site](https://example.org/line-up).\n\n"
    "- Street food\n  1. Vegan\n- Natural wine\n\n"
    "> Best night of the summer\n\n"
    "a\nb"
)

PORTABLE_TEXT: list[dict[str, Any]] = [
    {
        "_type": "block",
        "_key": "b1",
        "style": "normal",
        "markDefs": [{"_key": "m1", "_type": "link", "href": "https://tickets.example.org/42"}],
        "children": [
            {"_type": "span", "_key": "s1", "text": "Get your ", "marks": []},
            {"_type": "span", "_key": "s2", "text": "tickets", "marks": ["strong", "m1"]},
            {"_type": "span", "_key": "s3", "text": " early.", "marks": ["em"]},
        ],
    },
    {
        "_type": "block",
        "_key": "b2",
        "style": "normal",
        "listItem": "bullet",
        "level": 1,
        "markDefs": [],
        "children": [{"_type": "span", "_key": "s4", "text": "Live jazz", "marks": []}],
    },
    {
        "_type": "block",
        "_key": "b3",
        "style": "normal",
        "listItem": "bullet",
        "level": 2,
        "markDefs": [],
        "children": [{"_type": "span", "_key": "s5", "text": "Two sets", "marks": []}],
    },
    {"_type": "image", "_key": "i1", "asset": {"_ref": "image-abc-1200x800-jpg"}},
    {
        "_type": "block",
        "_key": "b4",
        "style": "h3",
        "markDefs": [],
        "children": [{"_type": "span", "_key": "s6", "text": "Getting there", "marks": []}],
    },
]
PORTABLE_TEXT_TEXT = (
    "Get your [**tickets**](https://tickets.example.org/42) *early.*\n\n"
    "- Live jazz\n  - Two sets\n\n"
    "### Getting there"
)

CONTENTFUL_RICH_TEXT: dict[str, Any] = {
    "nodeType": "document",
    "data": {},
    "content": [
        {
            "nodeType": "heading-2",
            "data": {},
            "content": [{"nodeType": "text", "value": "About", "marks": [], "data": {}}],
        },
        {
            "nodeType": "paragraph",
            "data": {},
            "content": [
                {"nodeType": "text", "value": "A ", "marks": [], "data": {}},
                {"nodeType": "text", "value": "hands-on", "marks": [{"type": "bold"}], "data": {}},
                {"nodeType": "text", "value": " workshop, see ", "marks": [], "data": {}},
                {
                    "nodeType": "hyperlink",
                    "data": {"uri": "https://example.com/workshop"},
                    "content": [{"nodeType": "text", "value": "details", "marks": [], "data": {}}],
                },
            ],
        },
        {
            "nodeType": "embedded-asset-block",
            "data": {"target": {"sys": {"id": "5xYz", "type": "Link", "linkType": "Asset"}}},
            "content": [],
        },
        {
            "nodeType": "ordered-list",
            "data": {},
            "content": [
                {
                    "nodeType": "list-item",
                    "data": {},
                    "content": [
                        {
                            "nodeType": "paragraph",
                            "data": {},
                            "content": [
                                {
                                    "nodeType": "text",
                                    "value": "Bring a laptop",
                                    "marks": [],
                                    "data": {},
                                }
                            ],
                        }
                    ],
                }
            ],
        },
        {"nodeType": "hr", "data": {}, "content": []},
        {
            "nodeType": "blockquote",
            "data": {},
            "content": [
                {
                    "nodeType": "paragraph",
                    "data": {},
                    "content": [{"nodeType": "text", "value": "Loved it", "marks": [], "data": {}}],
                }
            ],
        },
    ],
}
CONTENTFUL_TEXT = (
    "## About\n\nA **hands-on** workshop, see [details](https://example.com/workshop)\n\n"
    "1. Bring a laptop\n\n> Loved it"
)

WEBFLOW_HTML = (
    "<h2>Summer Market</h2>"
    '<p>Local makers &amp; food trucks. <a href="https://example.com/map" target="_blank">Map</a>'
    "</p>"
    '<figure class="w-richtext-align-center w-richtext-figure-type-image"><div>'
    '<img src="https://cdn.prod.website-files.com/6542/market.jpg" loading="lazy" alt="Stalls">'
    "</div></figure>"
    "<ul><li>Free entry</li><li>Dogs welcome</li></ul>"
    "<p>‍</p>"
)
WEBFLOW_TEXT = (
    "## Summer Market\n\nLocal makers & food trucks. [Map](https://example.com/map)\n\n"
    "- Free entry\n- Dogs welcome"
)

WORDPRESS_BLOCKS = (
    "<!-- wp:paragraph -->\n<p>Join us for <strong>jazz</strong> on the terrace.</p>\n"
    "<!-- /wp:paragraph -->\n\n"
    '<!-- wp:image {"id":12,"sizeSlug":"large"} -->\n'
    '<figure class="wp-block-image size-large"><img src="https://example.com/wp-content/'
    'uploads/2026/05/band.jpg" alt="The band" class="wp-image-12"/></figure>\n'
    "<!-- /wp:image -->\n\n"
    "<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>Bar opens 6 pm</li>\n<!-- /wp:list-item -->"
    "</ul>\n<!-- /wp:list -->"
)
WORDPRESS_TEXT = "Join us for **jazz** on the terrace.\n\n- Bar opens 6 pm"

WORDPRESS_CLASSIC = (
    "Bring a friend.\nSecond line [sic].\n\n"
    '[caption id="attachment_7" align="alignnone" width="300"]<img src="x.jpg"> Stage[/caption]'
    "\n\nSee you there"
)
WORDPRESS_CLASSIC_TEXT = "Bring a friend.\nSecond line \\[sic\\].\n\nStage\n\nSee you there"

STRAPI4_MARKDOWN = (
    "## Line-up\n\nA night of **techno** with _three_ DJs.\n\n* DJ One\n* DJ Two\n\n"
    "![poster](/uploads/poster.png)\n\n<script>alert('x')</script>\n\nTickets: [here](https://t.example/1)"
)
STRAPI4_TEXT = (
    "## Line-up\n\nA night of **techno** with *three* DJs.\n\n- DJ One\n- DJ Two\n\n"
    "Tickets: [here](https://t.example/1)"
)
