"""What to do in each sender to point it at an integration, with the values to paste filled
in: its webhook URL, and the header or secret it proves itself with. The secret is known only
right after it was made (creation, rotation); later the steps say where it was shown.

The same steps as docs/webhooks.md's table, written for someone clicking through the
sender's admin screens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.adapters.integrations import Source


@dataclass(frozen=True)
class Step:
    text: str
    value: str | None = None  # what to paste, shown with a copy button


@dataclass(frozen=True)
class Steps:
    sender: str
    items: list[Step]


@dataclass(frozen=True)
class SenderGuide:
    label: str
    what: str
    # The label of the field for a secret the sender generates itself (None: we make it).
    own_secret: str | None
    # (url, the secret when it was just made else None, verification) -> the steps
    steps: Callable[[str, str | None, str], list[Step]]
    # Where the sender sends relative media URLs: what its media base URL is (None: it never
    # does, as far as its own documentation goes).
    media_base_url: str | None = None


def steps_for(
    source: Source,
    url: str,
    secret: str | None,
    verification: str,
    media_base_url: str | None = None,
) -> Steps:
    """The sender's steps; for a sender of relative media URLs, how they become absolute
    (through the integration's `media_base_url`, or that it must be set)."""
    guide = GUIDES[source]
    items = guide.steps(url, secret, verification)
    if guide.media_base_url is not None:
        items.append(_media_step(media_base_url))
    return Steps(guide.label, items)


def _media_step(media_base_url: str | None) -> Step:
    if media_base_url:
        return Step(f"Its image URLs are relative (/uploads/...): they are joined to "
                    f"{media_base_url}, this integration's media base URL (in its mapping "
                    "settings).")  # fmt: skip
    return Step("Its image URLs are relative (/uploads/...): set this integration's media base "
                "URL (the sender's public address) in its mapping settings, or every entry "
                "with an image is refused.")  # fmt: skip


def _secret(text: str, value: str | None) -> Step:
    if value is None:
        return Step(f"{text} the integration's secret (shown once, when it was made: rotate "
                    "it below for a new one).")  # fmt: skip
    return Step(text, value)


def _token_steps(url: str, secret: str | None) -> list[Step]:
    return [
        Step("Send each delivery with POST to:", url),
        _secret("With this header (or 'X-Webhook-Token: <secret>'):",
                f"Authorization: Bearer {secret}" if secret else None),
    ]  # fmt: skip


def _wordpress(url: str, secret: str | None, verification: str) -> list[Step]:
    if verification == "token":
        return _token_steps(url, secret)
    return [
        Step("In WordPress, add a webhook (WooCommerce: Settings, Advanced, Webhooks; WP "
             "Webhooks: Send Data) with the delivery URL:", url),
        _secret("Set the webhook's secret to:", secret),
        Step("For WP Webhooks' post_* triggers, add ?action=post_update (or post_create, "
             "post_delete) to the URL."),
    ]  # fmt: skip


def _strapi(url: str, secret: str | None, verification: str) -> list[Step]:
    return [
        Step("In Strapi's admin panel: Settings, Webhooks, Create new webhook. URL:", url),
        # Once the secret is no longer shown the step still says the value is "Bearer <secret>".
        _secret(
            "Add a header named 'Authorization' with the value 'Bearer ' followed by"
            if secret is None
            else "Add a header named 'Authorization' with the value:",
            f"Bearer {secret}" if secret else None,
        ),
        Step("Tick the Entry events (create, update, delete, publish, unpublish) and save."),
    ]


def _sanity(url: str, secret: str | None, verification: str) -> list[Step]:
    if verification == "token":
        return _token_steps(url, secret)
    return [
        Step("In sanity.io/manage: your project, API, Webhooks, Create webhook. URL:", url),
        _secret("Secret:", secret),
        Step("Trigger on create, update and delete, with a projection such as:",
             "{_id, _updatedAt, title, description, startAt, endAt, timezone}"),
    ]  # fmt: skip


def _contentful(url: str, secret: str | None, verification: str) -> list[Step]:
    if verification == "token":
        return _token_steps(url, secret)
    return [
        Step("In Contentful: Settings, Webhooks, Add webhook. URL:", url),
        Step("Triggers: Entry publish, unpublish, archive and delete."),
        Step("Turn on request verification: the signing secret is the one given to this "
             "integration (Contentful's own)."),
    ]  # fmt: skip


def _webflow(url: str, secret: str | None, verification: str) -> list[Step]:
    if verification == "token":
        return _token_steps(url, secret)
    return [
        Step("Create the webhooks from your Webflow app (collection_item_created, _changed, "
             "_published, _unpublished, _deleted) with the URL:", url),
        Step("Webflow signs them with your app's client secret, the one given to this "
             "integration."),
    ]  # fmt: skip


def _standard(url: str, secret: str | None, verification: str) -> list[Step]:
    return [
        Step("Point the sender's Standard Webhooks endpoint at:", url),
        _secret("Signing secret:", secret),
    ]


def _generic(url: str, secret: str | None, verification: str) -> list[Step]:
    return [
        *_token_steps(url, secret),
        Step("Say what happened with ?action=create, update, publish, unpublish or delete, or "
             "an 'action' field in the JSON."),
    ]  # fmt: skip


GUIDES: dict[Source, SenderGuide] = {
    "wordpress": SenderGuide(
        "WordPress", "The Events Calendar, WooCommerce-style webhooks or WP Webhooks.", None,
        _wordpress,
    ),
    "strapi": SenderGuide(
        "Strapi", "Strapi v4 or v5 entry webhooks.", None, _strapi,
        "Strapi's public URL, e.g. https://cms.example.org: the local upload provider's "
        "image URLs (/uploads/...) are joined to it",
    ),
    "sanity": SenderGuide("Sanity", "GROQ-powered webhooks from a Sanity project.", None, _sanity),
    "contentful": SenderGuide(
        "Contentful", "Entry webhooks with request verification.",
        "Contentful's signing secret", _contentful,
    ),
    "webflow": SenderGuide(
        "Webflow", "CMS collection item webhooks of your Webflow app.",
        "Your Webflow app's client secret", _webflow,
    ),
    "standard": SenderGuide(
        "Standard Webhooks", "Any sender that signs the Standard Webhooks way.", None, _standard
    ),
    "generic": SenderGuide(
        "Any JSON sender", "CRMs, form tools, spreadsheet automations.", None, _generic
    ),
}  # fmt: skip
