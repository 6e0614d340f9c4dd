"""Everything the gateway refuses on purpose, as exceptions that know nothing of HTTP.

They are raised where the refusal is decided (the edge reading a request, the access checks,
the submission steps, the adapters) and turned into an HTTP answer in exactly one place,
`services.gateway.edge.errors`, as httpx turns its transports' errors into its own. Each
kind below is one HTTP status there; each class's `code` is the stable, machine-readable
`error.code` of the envelope, and `message` says what a person can do about it.

    GatewayError
    ├── MalformedRequest       the request cannot be read (JSON, header, query parameter)
    │   ├── UnsupportedMediaType, PayloadTooLarge, BodyTimeout
    ├── NotAuthenticated       no usable API key; WebhookUnverified for deliveries
    ├── NotAllowed             MissingScope, ChannelForbidden
    ├── NotFound               EventNotFound, OperationNotFound, OperationExpired,
    │                          NoWebhookEndpoint, NotOwned
    ├── StateConflict          IdempotencyKeyInUse, KeyStateConflict, SlugTaken,
    │                          StaleUpdate, EventCancelled
    ├── Unprocessable          InvalidInput, IdempotencyKeyReused, CommandRejected
    ├── RateLimited
    └── Unavailable            EventLogUnavailable, EventLogBacklogged
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.domain.events import FieldError
from shared.domain.field_errors import storable_text


class GatewayError(Exception):
    """Base of every refusal; `fields` names each offending field, `retry_after_seconds`
    says when trying again may succeed (None: not by waiting)."""

    code: str = "bad_request"
    retry_after_seconds: int | None = None

    def __init__(self, message: str, fields: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = list(fields)


# --- The request cannot be read ----------------------------------------------------------


class MalformedRequest(GatewayError):
    code = "bad_request"


class MalformedJson(MalformedRequest):
    code = "malformed_json"


class InvalidQueryParameter(MalformedRequest):
    code = "invalid_query_parameter"

    def __init__(
        self, name: str, problem: str, field_code: str = "invalid", field_message: str = ""
    ) -> None:
        field = FieldError(name, field_code, field_message or problem)
        super().__init__(f"Query parameter '{name}' {problem}.", [field])


class InvalidIdempotencyKey(MalformedRequest):
    code = "invalid_idempotency_key"

    def __init__(self, max_length: int, repeated: bool = False, non_ascii: bool = False) -> None:
        if repeated:
            message, problem = "Send Idempotency-Key once, with one key.", "sent more than once"
        elif non_ascii:
            message = (
                "Idempotency-Key must be ASCII: HTTP clients send other characters as different "
                "bytes, so one key could make two events. Use a UUID or a hash, or "
                "percent-encode the text (sheet-Z%C3%BCrich-row-4)."
            )
            problem = "has characters outside ASCII"
        else:
            message = f"Idempotency-Key must be 1 to {max_length} printable characters."
            problem = "empty, too long or unprintable"
        super().__init__(message, [FieldError("Idempotency-Key", "invalid", problem)])


class UnsupportedMediaType(MalformedRequest):
    code = "unsupported_media_type"


class PayloadTooLarge(MalformedRequest):
    code = "payload_too_large"

    def __init__(self, what: str, max_bytes: int) -> None:
        super().__init__(f"The {what} is larger than the limit of {max_bytes} bytes.")


class BodyTimeout(MalformedRequest):
    """The client did not deliver its whole body in time (a slow-body client holds a
    connection and a task otherwise)."""

    code = "request_timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The request body did not arrive within {seconds:g} s; send it in one go."
        )


# --- Who is asking, and may they ---------------------------------------------------------


class NotAuthenticated(GatewayError):
    """Missing, malformed, unknown, revoked, disabled or expired key: one answer for all, so
    the answer never tells an attacker which of these it was."""

    code = "unauthorized"

    def __init__(
        self,
        message: str = "Missing or invalid API key. Send 'Authorization: Bearer pe_test_...' "
        "with a key that is active; revoked, disabled and expired keys are refused.",
    ) -> None:
        super().__init__(message)


class KeyInQuery(NotAuthenticated):
    """A key in the URL: refused whether or not it is valid, so saying why tells nothing."""

    def __init__(self) -> None:
        super().__init__(
            "API keys are refused in the URL, where logs and browser history keep them; send "
            "the key as 'Authorization: Bearer pe_test_...' and revoke one that was in a URL."
        )


class WebhookUnverified(NotAuthenticated):
    """The delivery is not proven to come from the integration's sender; the reason is
    recorded in the deliveries log, never told to the caller."""

    code = "webhook_unverified"

    def __init__(self) -> None:
        super().__init__(
            "The delivery is not signed with this integration's secret, or not recent enough, "
            "or lacks its token. Check the secret configured in the sender; the integration's "
            "deliveries list says which check failed."
        )


class NotAllowed(GatewayError):
    code = "forbidden"


class MissingScope(NotAllowed):
    code = "missing_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This API key lacks the '{scope}' scope that this route requires.")


class ChannelForbidden(NotAllowed):
    code = "channel_forbidden"

    def __init__(self, channel_id: int) -> None:
        super().__init__(
            f"Channel {channel_id} is not accessible to this key's owner. List the usable "
            "channels with GET /api/public/v1/channels (an API key with channels:read) or GET "
            "/api/developer/v1/channels (the owner key).",
            [FieldError("channelId", "channel_forbidden", "channel not accessible")],
        )


# --- What the request names --------------------------------------------------------------


class NotFound(GatewayError):
    code = "not_found"


class EventNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No event with that id is accessible to this key.")


class OccurrenceNotFound(NotFound):
    """The recurring event has no occurrence with that original start (or an EXDATE removed
    it), or `{start}` names no date."""

    code = "occurrence_not_found"

    def __init__(self, start: str = "then", *, unreadable: bool = False) -> None:
        shown = storable_text(start[:64])
        forms = (
            "the local date of its original start, YYYY-MM-DD in the event's timezone, or "
            "that instant in ISO 8601 with its offset"
        )
        if unreadable:
            problem = f"'{shown}' is neither a date nor an instant"
            field = FieldError(
                "start", "invalid_occurrence_start", f"{problem}: name one by {forms}"
            )
        else:
            problem = f"the series has no occurrence starting '{shown}' (EXDATEs remove them)"
            field = FieldError("start", self.code, problem)
        super().__init__(
            f"{problem[0].upper()}{problem[1:]}. Name one by {forms}; GET the event for its "
            "recurrence.",
            [field],
        )


class NoWebhookEndpoint(NotFound):
    """An unknown, deleted or disabled integration, or a source that does not match it."""


class OperationNotFound(NotFound):
    """An operation id this deployment never issued, or one of another account's commands."""

    def __init__(self) -> None:
        super().__init__(
            "No operation with that id belongs to this key's owner; operation ids come from "
            "the Operation-Location of a 202 answer."
        )


class OperationExpired(NotFound):
    """An operation decided longer ago than its outcome is kept
    (PUBLISHER_OUTCOME_RETENTION_DAYS)."""

    code = "operation_expired"

    def __init__(self) -> None:
        super().__init__(
            "This operation's command was decided too long ago for its record to be kept; "
            "read the event (GET /api/public/v1/events/{eventId}) for its current state."
        )


class NotOwned(NotFound):
    """No API key or integration with that id belongs to the caller's account."""

    def __init__(self, what: str) -> None:
        super().__init__(f"No {what} with that id belongs to this account.")


class StateConflict(GatewayError):
    code = "conflict"


class IdempotencyKeyInUse(StateConflict):
    code = "idempotency_key_in_use"
    retry_after_seconds = 1

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry after "
            "the Retry-After delay to get its result."
        )


class KeyStateConflict(StateConflict):
    """The key change does not apply to the key's state (enabling a revoked key, ...)."""

    code = "key_state_conflict"


class NotReplayable(StateConflict):
    """A delivery that was applied (or whose body was not kept) is not replayed."""

    code = "not_replayable"


class SlugTaken(StateConflict):
    """Another channel has the slug; slugs are unique across all channels."""

    code = "slug_taken"

    def __init__(self, message: str) -> None:
        super().__init__(message, [FieldError("slug", "slug_taken", message)])


STALE_UPDATE = "stale_update"
STALE_UPDATE_MESSAGE = (
    "A newer version of this event is stored (its sourceUpdatedAt is later than the one "
    "sent), so this change was ignored."
)


class StaleUpdate(StateConflict):
    code = STALE_UPDATE

    def __init__(self) -> None:
        super().__init__(STALE_UPDATE_MESSAGE)


class EventCancelled(StateConflict):
    code = "event_cancelled"

    def __init__(self) -> None:
        super().__init__("The event is cancelled; it cannot be published or unpublished.")


class NotRecurring(StateConflict):
    code = "not_recurring"

    def __init__(self) -> None:
        super().__init__(
            "The event does not recur; change it with PATCH /api/public/v1/events/{eventId}."
        )


class Unprocessable(GatewayError):
    code = "unprocessable"


class InvalidInput(Unprocessable):
    """The body was read but breaks the contract; `fields` says what to fix."""

    code = "validation_failed"

    def __init__(self, fields: Sequence[FieldError]) -> None:
        paths = ", ".join(dict.fromkeys(f.path for f in fields))
        super().__init__(f"The request body is invalid; fix these fields: {paths}.", fields)


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request body. Use a new "
            "key for a different request, or resend the original body to get its result.",
            [FieldError("Idempotency-Key", "reused", "key used with another body")],
        )


class CommandRejected(Unprocessable):
    """The publisher refused the command; `code` is its reason code."""

    def __init__(
        self, code: str | None, reason: str | None, fields: Sequence[FieldError] = ()
    ) -> None:
        super().__init__(reason or "The event was rejected.", fields)
        self.code = code or "rejected"


# --- Not now -----------------------------------------------------------------------------


class RateLimited(GatewayError):
    """Over a quota; `quota_headers` describe every quota counted (RateLimit-Policy,
    RateLimit and Retry-After, as the IETF draft names them)."""

    code = "rate_limited"

    def __init__(self, quota_headers: Mapping[str, str]) -> None:
        super().__init__(
            f"Too many requests; retry after {quota_headers.get('Retry-After', 'a few')} seconds "
            "(see the RateLimit and RateLimit-Policy headers)."
        )
        self.quota_headers = dict(quota_headers)


class Unavailable(GatewayError):
    code = "service_unavailable"
    retry_after_seconds = 5

    def __init__(self, message: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        if retry_after_seconds is not None:
            self.retry_after_seconds = retry_after_seconds


class EventLogUnavailable(Unavailable):
    """Kafka did not acknowledge the command in time; a retry with the same
    Idempotency-Key is safe (a send that arrives late is deduplicated)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "The event log is unavailable, so the request was not accepted. Retry with "
            "the same Idempotency-Key after the Retry-After delay."
        )


class EventLogBacklogged(Unavailable):
    code = "overloaded"

    def __init__(self, pending: int) -> None:
        super().__init__(
            f"{pending} commands are already waiting for the event log, so this one was not "
            "accepted. Retry with the same Idempotency-Key after Retry-After."
        )


class Overloaded(Unavailable):
    """Refused by admission control before any work: the gateway holds a standing queue.
    Nothing was written; the same request, with the same Idempotency-Key, may be retried."""

    code = "overloaded"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "The service is over capacity and refused this request before doing any of it. "
            "Send it again after the Retry-After delay (with the same Idempotency-Key, if it "
            "had one; a webhook sender's own retry does).",
            retry_after_seconds,
        )
