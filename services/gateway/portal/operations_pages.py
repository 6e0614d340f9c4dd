"""For operators: dead letters, read and replayed by the same code as `pinned dlq`."""

from __future__ import annotations

from starlette.responses import Response

from services.gateway.portal.routing import Page, PageProblem, Redirect
from services.gateway.portal.visits import PORTAL, Visit
from shared.adapters import dead_letters

DEAD_LETTERS = f"{PORTAL}/operations/dead-letters"
NEWEST = 50  # per partition of the dead-letter topic


async def dead_letters_page(visit: Visit) -> Response:
    read = await dead_letters.read_all(visit.gateway.settings.kafka, newest=NEWEST)
    letters = await visit.gateway.portal.with_replays(read)
    shown = [
        {**letter.summary(), "payload": _payload(letter)}
        for letter in sorted(letters, key=lambda d: d.record.timestamp, reverse=True)
    ]
    replayed = visit.request.query_params.get("replayed")
    context = {
        "viewer": visit.me,
        "section": "operations",
        "letters": shown,
        "newest": NEWEST,
        "notice": f"Replayed {replayed} message(s) to their origin topics." if replayed else None,
    }
    return visit.pages.render("dead_letters.html", context)


async def replay(visit: Visit) -> Response:
    settings = visit.gateway.settings.kafka
    letters = await dead_letters.read_all(settings)
    try:
        chosen = dead_letters.chosen(letters, visit.fields("id"))
    except LookupError as exc:
        raise PageProblem(404, "Not found", str(exc), "not_found") from None
    done = await dead_letters.replay(settings, chosen)
    await visit.gateway.portal.mark_replayed(chosen, visit.me.session.actor)
    await visit.audit("dead_letters_replayed", count=done)
    raise Redirect(f"{DEAD_LETTERS}?replayed={done}")


def _payload(letter: dead_letters.DeadLetter) -> str:
    return (letter.record.value or b"")[:4000].decode(errors="replace")


PAGES = (
    Page("GET", DEAD_LETTERS, dead_letters_page, access="operator"),
    Page("POST", f"{DEAD_LETTERS}/replay", replay, access="operator"),
)
