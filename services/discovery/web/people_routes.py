"""The people API's routes (`/api/people/v1`): accounts and sessions, then planning."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from services.discovery.web import calendar_routes, friends_api, people_api, plans_api
from services.discovery.web.event_refs import register_event_convertor
from shared.runtime.api_index import index_of


def routes() -> list[BaseRoute]:
    register_event_convertor()
    me = f"{people_api.PEOPLE_API}/me"
    event = f"{people_api.PEOPLE_API}/events/{{eventId:event}}"
    endpoints: list[Route] = [
        Route(f"{people_api.PEOPLE_API}/people", people_api.sign_up, methods=["POST"]),
        Route(f"{people_api.PEOPLE_API}/sessions", people_api.sign_in, methods=["POST"]),
        Route(f"{people_api.PEOPLE_API}/sessions/current", people_api.sign_out, methods=["DELETE"]),
        Route(me, people_api.me, methods=["GET"]),
        Route(me, people_api.change_me, methods=["PATCH"]),
        Route(me, people_api.delete_me, methods=["DELETE"]),
        Route(f"{me}/sessions", people_api.sessions, methods=["GET"]),
        Route(f"{me}/sessions", people_api.revoke_all_sessions, methods=["DELETE"]),
        Route(f"{me}/sessions/{{sessionId:uuid}}", people_api.revoke_session, methods=["DELETE"]),
        Route(f"{me}/follows", plans_api.my_follows, methods=["GET"]),
        Route(f"{me}/follows/{{kind}}/{{target}}", plans_api.follow, methods=["PUT"]),
        Route(f"{me}/follows/{{kind}}/{{target}}", plans_api.unfollow, methods=["DELETE"]),
        Route(f"{me}/feed", plans_api.my_feed, methods=["GET"]),
        Route(f"{me}/saves", plans_api.my_saves, methods=["GET"]),
        Route(f"{me}/saves/{{eventId:event}}", plans_api.save, methods=["PUT"]),
        Route(f"{me}/saves/{{eventId:event}}", plans_api.unsave, methods=["DELETE"]),
        Route(f"{me}/rsvps", plans_api.my_rsvps, methods=["GET"]),
        Route(f"{me}/rsvps/{{eventId:event}}", plans_api.answer, methods=["PUT"]),
        Route(f"{me}/rsvps/{{eventId:event}}", plans_api.withdraw, methods=["DELETE"]),
        Route(f"{me}/reminders", plans_api.my_reminders, methods=["GET"]),
        Route(f"{me}/reminders", plans_api.set_reminder_defaults, methods=["PUT"]),
        Route(
            f"{me}/reminders/events/{{eventId:event}}",
            plans_api.set_event_reminders,
            methods=["PUT"],
        ),
        Route(
            f"{me}/reminders/events/{{eventId:event}}",
            plans_api.reset_event_reminders,
            methods=["DELETE"],
        ),
        Route(f"{me}/notifications", plans_api.my_notifications, methods=["GET"]),
        Route(f"{me}/notifications/read-all", plans_api.mark_all_read, methods=["POST"]),
        Route(
            f"{me}/notifications/{{notificationId:uuid}}",
            plans_api.mark_notification,
            methods=["PATCH"],
        ),
        Route(f"{me}/calendar-url", calendar_routes.new_calendar_url, methods=["POST"]),
        Route(f"{me}/calendar-url", calendar_routes.revoke_calendar_url, methods=["DELETE"]),
        Route(f"{me}/calendar.ics", calendar_routes.my_calendar, methods=["GET"]),
        Route(f"{me}/friends", friends_api.my_friends, methods=["GET"]),
        Route(f"{me}/friends/{{personId:int}}", friends_api.remove_friend, methods=["DELETE"]),
        Route(f"{me}/friend-requests", friends_api.friend_requests, methods=["GET"]),
        Route(f"{me}/friend-requests", friends_api.ask_friend, methods=["POST"]),
        Route(
            f"{me}/friend-requests/{{requestId:uuid}}/accept",
            friends_api.accept_friend,
            methods=["POST"],
        ),
        Route(
            f"{me}/friend-requests/{{requestId:uuid}}",
            friends_api.decline_friend,
            methods=["DELETE"],
        ),
        Route(f"{event}/friends", friends_api.friends_at_event, methods=["GET"]),
    ]
    authentication = (
        "Authorization: Bearer <session token>, from POST /people (sign up) or POST /sessions"
        " (sign in), on every other endpoint; GET /me/calendar.ics also takes its secret URL's"
        " ?token="
    )
    index = index_of(people_api.PEOPLE_API, endpoints, authentication, "docs/planning.md")
    return [index, *endpoints]
