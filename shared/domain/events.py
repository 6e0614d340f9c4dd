"""The event as integrators send it, validated once at the gateway's edge.

Field names follow the public API (camelCase). Every rule that a person can fix is a
field-level error with the offending path, so 422 responses name what to change.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.field_errors import FieldError as FieldError
from shared.domain.field_errors import described
from shared.domain.field_errors import field_errors as field_errors
from shared.domain.places import find as find_place
from shared.domain.recurrence import Recurrence
from shared.domain.recurrence_checks import recurrence_problems
from shared.domain.rich_text import to_description
from shared.domain.storable import EventTime, storable_validation
from shared.domain.times import offset_problem

EventStatus = Literal["draft", "published"]
# Cancelled is reached only through the cancel action, never set on create.
StoredStatus = Literal["draft", "published", "cancelled"]


# Numbers as the schema states them: "42", true or 5.0 where an integer belongs, or "1.5"
# where a number does, is a mistake to name, not to guess at (lax validation takes them all).
StrictNumber = Annotated[float, Strict()]  # an integer is a number too


class _ApiModel(BaseModel):
    # Unknown fields are refused, so a typo or a field the caller may not set (owner, id)
    # is a clear error instead of being silently dropped or applied.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class City(_ApiModel):
    placeId: Annotated[
        str,
        StringConstraints(
            pattern=described(
                r"^place-[a-z0-9-]{1,100}$",
                "a place id such as place-new-york (GET /api/public/v1/places?q=<name>)",
            )
        ),
    ]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    countryCode: Annotated[
        str,
        StringConstraints(
            pattern=described(r"^[A-Z]{2}$", "an ISO 3166-1 alpha-2 code in capitals, such as US")
        ),
    ]


class ApproxLocation(_ApiModel):
    city: City


def _https(value: str) -> str:
    if not value.startswith("https://") or len(value) <= len("https://"):
        raise PydanticCustomError("https_required", "must be an https:// URL")
    return value


HttpsUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_https)]


class Coordinates(_ApiModel):
    lat: StrictNumber = Field(ge=-90, le=90)
    lng: StrictNumber = Field(ge=-180, le=180)


class Venue(_ApiModel):
    """The exact place, when it may be shown (approxLocation is always required)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    address: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    coordinates: Coordinates | None = None


class Image(_ApiModel):
    url: HttpsUrl
    alt: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class TicketLink(_ApiModel):
    """Checkout stays with the integrator's ticketing; we only link to it."""

    url: HttpsUrl
    label: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


# Far above any ticket price in any currency; bounded so every accepted amount is a finite
# JSON number.
LARGEST_PRICE = 10**12


class PriceRange(_ApiModel):
    min: StrictNumber = Field(ge=0, le=LARGEST_PRICE)
    max: StrictNumber = Field(ge=0, le=LARGEST_PRICE)
    currency: Annotated[
        str,
        StringConstraints(
            pattern=described(r"^[A-Z]{3}$", "an ISO 4217 currency code in capitals, such as EUR")
        ),
    ]

    @model_validator(mode="after")
    def _ordered(self) -> PriceRange:
        if self.max < self.min:
            raise PydanticCustomError("price_range_inverted", "max is below min")
        return self


# Field types shared by the create and patch bodies, so the two cannot drift apart.
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Classifications = Annotated[
    list[str],
    Field(
        min_length=1,
        max_length=5,
        json_schema_extra={"items": {"type": "string", "enum": sorted(CLASSIFICATIONS)}},
    ),
]
DESCRIPTION_MAX_LENGTH = 10_000
# As sent: HTML from a CMS (Word's inline styles) is often several times its text, and the
# 10,000 are counted in the stored format, after conversion, as for webhooks.
DESCRIPTION_MAX_INPUT_LENGTH = 200_000
# Validation context of commands decoded from our own Kafka topics: already in the format.
DECODING_STORED = "decoding_stored"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _description_format(value: str, info: ValidationInfo) -> str:
    if info.context and info.context.get(DECODING_STORED):
        return value
    if _UNSTORABLE.search(value):
        return value  # refused by the storability rules, naming the field, not silently mended
    text = to_description(value)
    if len(text) > DESCRIPTION_MAX_LENGTH:  # escaping can lengthen it
        raise PydanticCustomError(
            "string_too_long",
            "in the description format (escapes included) the text is {length} characters, "
            "more than {max_length}",
            {"length": len(text), "max_length": DESCRIPTION_MAX_LENGTH},
        )
    return text


Description = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX_INPUT_LENGTH),
    AfterValidator(_description_format),
    Field(
        description="Plain text or a small Markdown subset (paragraphs, line breaks, **bold**, "
        "*italic*, https links, lists, headings, quotes); HTML is converted, never stored. "
        "Stored and answered in that format, up to 10,000 characters in it (HTML as sent may "
        "be longer)."
    ),
]
Images = Annotated[list[Image], Field(max_length=10)]
TicketLinks = Annotated[list[TicketLink], Field(max_length=5)]
SourceId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Places for people who RSVP `going`; past it they are waitlisted. None: no limit.
Capacity = Annotated[
    int, Strict(), Field(ge=1, le=1_000_000, description="places for people going")
]
LARGEST_CHANNEL_ID = 2**63 - 1  # channels.id is a PostgreSQL bigint
ChannelId = Annotated[int, Strict(), Field(gt=0, le=LARGEST_CHANNEL_ID)]


class EventInput(_ApiModel):
    """The body of `POST /api/public/v1/events`."""

    channelId: ChannelId
    title: Title
    startAt: EventTime
    endAt: EventTime | None = None
    timezone: str = Field(description="IANA time zone name, e.g. America/New_York")
    classifications: Classifications
    approxLocation: ApproxLocation
    description: Description | None = None
    venue: Venue | None = None
    images: Images | None = None
    ticketLinks: TicketLinks | None = None
    price: PriceRange | None = None
    capacity: Capacity | None = None
    # Repeats: the event is a series whose first occurrence is startAt (docs/recurring.md).
    recurrence: Recurrence | None = None
    sourceId: SourceId | None = None
    # The source's own modification time: an update older than the stored one is ignored.
    sourceUpdatedAt: EventTime | None = None
    # The docs' first example has no status and is described as publishing an event.
    status: EventStatus = "published"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _iana_zones():
            raise PydanticCustomError(
                "unknown_timezone",
                "'{zone}' is not an IANA time zone name; use one such as 'America/New_York'",
                {"zone": value},
            )
        return value

    @field_validator("classifications")
    @classmethod
    def _known_classifications(cls, value: list[str]) -> list[str]:
        unknown = [slug for slug in value if slug not in CLASSIFICATIONS]
        if unknown:
            named = ", ".join(_with_suggestion(slug) for slug in unknown)
            raise PydanticCustomError(
                "unknown_classification",
                "unknown classification slug(s) {unknown}; known slugs: {known}",
                {"unknown": named, "known": ", ".join(sorted(CLASSIFICATIONS))},
            )
        if len(set(value)) != len(value):
            raise PydanticCustomError("duplicate_classification", "classifications repeat")
        return value


def _with_suggestion(slug: str) -> str:
    """`Music` -> `Music (did you mean music?)`: a CRM's own spelling of a known slug."""
    near = "-".join(slug.strip().lower().replace("_", " ").split())
    return f"{slug} (did you mean {near}?)" if near in CLASSIFICATIONS else slug


def _never_null(schema: dict[str, Any]) -> None:
    """A field's JSON schema without its `null` variant (and the null default)."""
    variants = [v for v in schema.pop("anyOf", []) if v.get("type") != "null"]
    schema.pop("default", None)
    if len(variants) == 1:
        schema.update(variants[0])
    elif variants:
        schema["anyOf"] = variants


class EventPatch(_ApiModel):
    """The body of `PATCH /events/{id}`: any event field but the channel and the status
    (moved with the publish / unpublish / cancel actions). `null` clears an optional field."""

    # Fields every event has: absent leaves them, and the schema offers no null (a null is
    # refused by parse_patch, naming the field).
    title: Title | None = Field(default=None, json_schema_extra=_never_null)
    startAt: EventTime | None = Field(default=None, json_schema_extra=_never_null)
    endAt: EventTime | None = None
    timezone: str | None = Field(default=None, json_schema_extra=_never_null)
    classifications: Classifications | None = Field(default=None, json_schema_extra=_never_null)
    approxLocation: ApproxLocation | None = Field(default=None, json_schema_extra=_never_null)
    description: Description | None = None
    venue: Venue | None = None
    images: Images | None = None
    ticketLinks: TicketLinks | None = None
    price: PriceRange | None = None
    capacity: Capacity | None = None
    recurrence: Recurrence | None = None
    sourceId: SourceId | None = Field(
        default=None, description="Only its current value: the record an event was created "
        "from names it for good (its id derives from it)",
    )  # fmt: skip
    sourceUpdatedAt: EventTime | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the caller sent, as JSON values."""
        return self.model_dump(mode="json", exclude_unset=True)


_REQUIRED_ON_STORE = ("title", "startAt", "timezone", "classifications", "approxLocation")


def parse_patch(payload: object) -> EventPatch:
    with storable_validation(payload, InvalidEvent):
        patch = EventPatch.model_validate(payload)
    cleared = [
        name
        for name in _REQUIRED_ON_STORE
        if name in patch.changes() and patch.changes()[name] is None
    ]
    if cleared:
        raise InvalidEvent([FieldError(n, "required", f"{n} cannot be cleared") for n in cleared])
    return patch


def apply_patch(
    stored_body: dict[str, Any], changes: dict[str, Any], channel_id: int
) -> EventInput:
    """The stored event with a patch's changes applied, validated as a whole (pure). Raises
    InvalidEvent, also for a `sourceId` other than the stored one: a record sent again finds
    its event by the id derived from it, so another value would make the next sending a
    second event."""
    if "sourceId" in changes and changes["sourceId"] != stored_body.get("sourceId"):
        message = ("names the record the event was created from and cannot change; send "
                   "another record as an event of its own")  # fmt: skip
        raise InvalidEvent([FieldError("sourceId", "immutable", f"sourceId {message}")])
    merged = {**stored_body, **changes, "channelId": channel_id}
    merged.pop("status", None)
    return parse_event(merged)


class InvalidEvent(ValueError):
    """The payload cannot become an event; `errors` names each field to fix."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


def parse_event(payload: object, *, known_storable: bool = False) -> EventInput:
    """Validate a decoded JSON body into an event, or raise InvalidEvent listing every error.
    `known_storable`: as for `validate_as`."""
    return validate_as(EventInput, payload, known_storable=known_storable)


E = TypeVar("E", bound="EventInput")


def validate_as(model: type[E], payload: object, *, known_storable: bool = False) -> E:
    """Schema, storability and cross-field rules for EventInput or a model that extends it.
    `known_storable`: the caller has checked storability already (`storable_validation`)."""
    try:
        with storable_validation(payload, InvalidEvent, known_storable=known_storable):
            event = model.model_validate(payload)
    except InvalidEvent as exc:
        # The rules across fields still judge the fields that passed, so one answer names
        # every mistake, not one round of them per request.
        raise InvalidEvent(exc.errors + _rules_over_valid_parts(payload, exc.errors)) from None
    problems = _temporal_errors(
        event.startAt, event.endAt, event.timezone, event.recurrence
    ) + city_errors(event.approxLocation.city)
    if problems:
        raise InvalidEvent(problems)
    return event


def _rules_over_valid_parts(payload: object, errors: list[FieldError]) -> list[FieldError]:
    """`_temporal_errors` and `city_errors` of a body that failed validation elsewhere,
    each run only when every field it reads passed (read again alone, as the model read it)."""
    if not isinstance(payload, dict):
        return []
    failed = {error.path.split(".")[0] for error in errors}
    found: list[FieldError] = []
    if "approxLocation" not in failed:
        location = _alone("approxLocation", payload.get("approxLocation"))
        if isinstance(location, ApproxLocation):
            found += city_errors(location.city)
    else:  # another part of the city is wrong (a country "USA"): is the place known at all?
        found += _unknown_place_alone(payload, {error.path for error in errors})
    if failed & {"startAt", "endAt"}:
        return found
    start, end = _alone("startAt", payload.get("startAt")), _alone("endAt", payload.get("endAt"))
    if not isinstance(start, datetime):
        return found
    zone = payload.get("timezone")
    if (
        not failed & {"timezone", "recurrence"}
        and isinstance(zone, str)
        and known_zone(zone.strip())
    ):
        recurrence = _alone("recurrence", payload.get("recurrence"))
        found += _temporal_errors(start, end, zone.strip(), recurrence)
    elif isinstance(end, datetime) and end < start:  # needs no zone
        found.append(_end_before_start())
    return found


_FIELD_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _alone(name: str, value: object) -> Any:
    """EventInput's field `name` validated on its own; None when it fails or is absent."""
    adapter = _FIELD_ADAPTERS.get(name)
    if adapter is None:
        field = EventInput.model_fields[name]
        adapter = _FIELD_ADAPTERS[name] = TypeAdapter(field.rebuild_annotation())
    try:
        return None if value is None else adapter.validate_python(value)
    except ValidationError:
        return None


def city_errors(city: City, at: str = "approxLocation.city") -> list[FieldError]:
    """What is wrong with `city` against the place catalogue (an unknown place id, or a
    country other than the place's), its paths under `at`."""
    place = find_place(city.placeId)
    if place is None:
        return [_unknown_place(city.placeId, f"{at}.placeId")]
    if place.countryCode != city.countryCode:
        return [
            FieldError(
                f"{at}.countryCode",
                "country_mismatch",
                f"{place.id} is in {place.countryCode}, not {city.countryCode}",
            )
        ]
    return []


def _unknown_place(place_id: str, path: str) -> FieldError:
    message = (
        f"'{place_id}' is not a known place; search them with GET /api/public/v1/places?q=<name>"
    )
    return FieldError(path, "unknown_place", message)


def _unknown_place_alone(payload: dict[str, Any], failed: set[str]) -> list[FieldError]:
    """The place id's own error when the city failed for another of its fields and the id
    itself passed; nothing when the id (or what holds it) is among the failures."""
    path = "approxLocation.city.placeId"
    if any(path == f or path.startswith(f + ".") for f in failed):
        return []
    location = payload.get("approxLocation")
    city = location.get("city") if isinstance(location, dict) else None
    place_id = city.get("placeId") if isinstance(city, dict) else None
    if not isinstance(place_id, str) or find_place(place_id) is not None:
        return []
    return [_unknown_place(place_id, path)]


def _temporal_errors(
    start: datetime, end: datetime | None, timezone: str, recurrence: Recurrence | None
) -> list[FieldError]:
    zone = ZoneInfo(timezone)
    errors = [_offset_error("startAt", start, zone)]
    if end is not None:
        errors.append(_offset_error("endAt", end, zone))
        if end < start:
            errors.append(_end_before_start())
    found = [e for e in errors if e is not None]
    if recurrence is not None and not found:
        found += [
            FieldError(path, code, message)
            for path, code, message in recurrence_problems(recurrence, start, zone)
        ]
    return found


def _end_before_start() -> FieldError:
    return FieldError("endAt", "end_before_start", "endAt is before startAt")


def _offset_error(path: str, moment: datetime, zone: ZoneInfo) -> FieldError | None:
    """The wall-clock time must exist in the zone and its offset must be the zone's offset."""
    problem = offset_problem(moment, zone)
    return FieldError(path, *problem) if problem is not None else None


_ZONES: frozenset[str] | None = None


def _iana_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def known_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this system knows."""
    return name in _iana_zones()
