"""Integrations: a webhook sender (CMS, CRM, form tool) bound to an owner's channel.

Connections must decode jsonb to Python values (`shared.adapters.postgres` pools and `connect` do).

Shared by the developer API, the webhook intake and the `pinned integrations` CLI. The
configuration is validated here once, so a stored integration is always one the intake can use.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, get_args

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.events import ChannelId, City, FieldError, city_errors, known_zone
from shared.domain.mapping.settings import MappingSettings, mapping_problems
from shared.domain.senders import sender_problems
from shared.domain.senders.terms import (
    MAPPABLE_FIELDS,
    SOURCES,
    EventAction,
    Source,
    Verification,
)
from shared.domain.storable import storable_text, storable_validation, unstorable_values

# Re-exported: the vocabulary the developer API and the CLI configure integrations in.
__all__ = ["MAPPABLE_FIELDS", "SOURCES", "EventAction", "Source", "Verification"]

# A delivery's status, reason code and reason as its owner reads them (developer API, portal,
# `pinned integrations`): an accepted one reads as the publisher's verdict once there is one
# (created or updated: applied; duplicate, stale, rejected), with the verdict's reason.
# `d` is the webhook_deliveries row, `o` its command_outcomes row (LEFT JOIN on message_id).
_DECIDED = "d.status = 'accepted' AND o.status IS NOT NULL"
DELIVERY_STATUS = f"""CASE WHEN {_DECIDED}
    THEN CASE o.status WHEN 'created' THEN 'applied' WHEN 'updated' THEN 'applied' ELSE o.status END
    ELSE d.status END"""
DELIVERY_REASON_CODE = f"CASE WHEN {_DECIDED} THEN o.reason_code ELSE d.reason_code END"
DELIVERY_REASON = f"CASE WHEN {_DECIDED} THEN o.reason ELSE d.reason END"

# $2 is the owner account, or NULL for the operators' command line (any account).
_OWNED_BY_2 = "($2::bigint IS NULL OR account_id = $2)"
_COLUMNS = (
    "id, account_id, channel_id, name, source, verification, mapping, defaults, actions,"
    " mapping_settings, status, created_at,"
    " CASE WHEN previous_secret_until > now() THEN previous_secret_until END"
    " AS previous_secret_until"
)


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _mappable(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - MAPPABLE_FIELDS)
    if unknown:
        raise ValueError(
            f"unknown event field(s) {', '.join(unknown)}; mappable: "
            + ", ".join(sorted(MAPPABLE_FIELDS))
        )
    empty = [field for field, path in value.items() if not path.strip()]
    if empty:
        raise ValueError(f"empty path for {', '.join(empty)}")
    return value


class IntegrationDefaults(_Config):
    """Values for event fields the sender's content does not carry."""

    timezone: str | None = Field(default=None, description="IANA zone, e.g. America/New_York")
    city: City | None = Field(default=None, description="approxLocation.city for every event")
    classifications: list[str] | None = None
    status: Literal["draft", "published"] = Field(
        default="published", description="For create/update when the sender says nothing"
    )


# A secret the sender chose: long enough not to be guessed, short enough for any header.
SenderSecret = Annotated[str, Field(min_length=16, max_length=500)]


class IntegrationSpec(_Config):
    """The body of `POST /api/developer/v1/integrations`."""

    name: str = Field(min_length=1, max_length=100)
    source: Source
    channelId: ChannelId
    verification: Verification | None = Field(
        default=None,
        description="signature (the sender signs; default where it can) or token (a static "
        "header the sender is configured to send; Strapi and generic JSON)",
    )
    secret: SenderSecret | None = Field(
        default=None,
        description="The sender's signing secret when the sender generates it (Contentful, "
        "Webflow); otherwise left out and generated, shown once",
    )
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Event field -> a dotted path or a JMESPath expression (with the project's "
        "functions, docs/webhooks.md) over the sender's document; merged over the sender's "
        "defaults",
    )
    mappingSettings: MappingSettings = Field(
        default_factory=MappingSettings,
        description="Value maps, the media base URL, the locale, and where the document id, "
        "version and action are when the sender's defaults do not fit",
    )
    defaults: IntegrationDefaults = Field(default_factory=IntegrationDefaults)
    actions: dict[str, EventAction] = Field(
        default_factory=dict,
        description="Sender action -> what it does; merged over the sender's defaults",
    )

    _known_fields = field_validator("mapping")(_mappable)


class _MappingParts(_Config):
    """The mapping and its settings alone, checked when the rest of a body is not valid."""

    mapping: dict[str, str] = Field(default_factory=dict)
    mappingSettings: MappingSettings = Field(default_factory=MappingSettings)
    _known_fields = field_validator("mapping")(_mappable)


def spec_problems(spec: IntegrationSpec) -> list[FieldError]:
    """What every delivery would otherwise trip over in the defaults, refused when the
    integration is made."""
    return (
        mapping_problems(spec.mapping, spec.mappingSettings)
        + defaults_problems(spec.defaults)
        + secret_problems(spec.source, spec.secret)
    )


def defaults_problems(defaults: IntegrationDefaults) -> list[FieldError]:
    """The defaults' values the catalogues do not know: a zone, a classification, a city."""
    problems = []
    if defaults.timezone is not None and not known_zone(defaults.timezone):
        problems.append(
            FieldError(
                "defaults.timezone",
                "unknown_timezone",
                f"'{defaults.timezone}' is not an IANA time zone name",
            )
        )
    for slug in defaults.classifications or []:
        if slug not in CLASSIFICATIONS:
            problems.append(
                FieldError(
                    "defaults.classifications",
                    "unknown_classification",
                    f"'{slug}' is not a known slug",
                )
            )
    if defaults.city is not None:
        # Every delivery without a city of its own would be refused for it, naming a field
        # of the document: refused here, naming the default.
        problems += city_errors(defaults.city, at="defaults.city")
    return problems


def _problems_of_valid_parts(payload: object) -> list[FieldError]:
    """When the body as a whole breaks the schema, the catalogue and mapping checks of the
    parts that are valid on their own, so one answer names everything to fix (a bad channel
    id and an unknown default zone together, not one round each)."""
    if not isinstance(payload, dict) or unstorable_values(payload):
        return []  # an unstorable value is named already; a message must not quote it
    problems: list[FieldError] = []
    source, verification = payload.get("source"), payload.get("verification")
    if source in SOURCES:
        if verification is None or verification in get_args(Verification):
            problems += sender_problems(source, verification)
        secret = payload.get("secret")
        problems += secret_problems(source, secret) if isinstance(secret, str) else []
    with contextlib.suppress(ValidationError):
        problems += defaults_problems(
            IntegrationDefaults.model_validate(payload.get("defaults", {}))
        )
    with contextlib.suppress(ValidationError):
        parts = _MappingParts.model_validate(
            {name: payload[name] for name in ("mapping", "mappingSettings") if name in payload}
        )
        problems += mapping_problems(parts.mapping, parts.mappingSettings)
    return problems


def secret_problems(source: str, secret: str | None) -> list[FieldError]:
    """What is wrong with `secret` as `source`'s signing secret (none when left out: one is
    generated), at creation and at rotation alike."""
    if source == "standard" and secret is not None and not _whsec(secret):
        return [
            FieldError(
                "secret",
                "invalid_secret",
                "a Standard Webhooks secret is 'whsec_' followed by base64, as the sender "
                "shows it (or leave it out and one is generated)",
            )
        ]
    return []


def _whsec(secret: str) -> bool:
    prefix, _, encoded = secret.partition("_")
    try:
        return prefix == "whsec" and len(base64.b64decode(encoded, validate=True)) > 0
    except ValueError:
        return False


class IntegrationChange(_Config):
    """The body of `PATCH /api/developer/v1/integrations/{id}`: each field given replaces the
    stored one (mapping, defaults and actions each as a whole). The source and the secret stay:
    the webhook URL names the source, and the secret changes by rotation."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    channelId: ChannelId | None = None
    mapping: dict[str, str] | None = Field(
        default=None, description="Replaces your mapping overrides (the sender's defaults stay)"
    )
    mappingSettings: MappingSettings | None = Field(
        default=None, description="Replaces the mapping settings as a whole"
    )
    defaults: IntegrationDefaults | None = None
    actions: dict[str, EventAction] | None = Field(
        default=None, description="Replaces your action overrides (the sender's defaults stay)"
    )


class SecretRotation(_Config):
    """The body of `POST /api/developer/v1/integrations/{id}/rotate-secret`."""

    secret: SenderSecret | None = Field(
        default=None,
        description="The sender's new signing secret when the sender generates it (Contentful, "
        "Webflow); otherwise left out and generated, shown once",
    )
    overlapSeconds: int = Field(
        default=3600,
        ge=0,
        le=7 * 24 * 3600,
        description="How long deliveries signed with the old secret are still accepted, to "
        "update the sender's configuration",
    )


class InvalidIntegration(ValueError):
    def __init__(self, problems: list[FieldError]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


def validate_spec(payload: object) -> IntegrationSpec:
    """The integration described by `payload`, or InvalidIntegration naming each problem,
    its sender's first (the developer API and the `pinned integrations` CLI alike)."""
    try:
        with storable_validation(payload, InvalidIntegration):
            spec = IntegrationSpec.model_validate(payload)
    except InvalidIntegration as exc:
        raise InvalidIntegration(exc.problems + _problems_of_valid_parts(payload)) from None
    problems = sender_problems(spec.source, spec.verification) + spec_problems(spec)
    if problems:
        raise InvalidIntegration(problems)
    return spec


def validate_rotation(payload: object) -> SecretRotation:
    """The rotation described by `payload`, or InvalidIntegration naming each problem."""
    with storable_validation(payload, InvalidIntegration):
        return SecretRotation.model_validate(payload)


def changed_spec(stored: dict[str, Any], payload: object) -> IntegrationSpec:
    """The stored integration with the change in `payload` applied, validated as a whole, or
    InvalidIntegration naming each problem by the path the caller sent."""
    with storable_validation(payload, InvalidIntegration):
        change = IntegrationChange.model_validate(payload)
    current = {
        "name": stored["name"],
        "source": stored["source"],
        "channelId": stored["channel_id"],
        "verification": stored["verification"],
        "mapping": stored["mapping"],
        "mappingSettings": stored["mapping_settings"],
        "defaults": stored["defaults"],
        "actions": stored["actions"],
    }
    changed = {**current, **change.model_dump(mode="json", exclude_unset=True)}
    return validate_spec(changed)


class IntegrationNotFound(LookupError):
    """No such integration, or not one of this account's."""


class DeliveryNotFound(IntegrationNotFound):
    """No such delivery in the integration's log (or past its retention)."""


async def create(
    conn: asyncpg.Connection,
    account_id: int,
    spec: IntegrationSpec,
    verification: Verification,
    mapping: dict[str, str],
    actions: dict[str, EventAction],
    secret: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Store an integration; returns its row and the secret: `secret` (in the form its
    sender takes), else the spec's, else a random token (what token senders take)."""
    secret = secret or spec.secret or secrets.token_urlsafe(32)
    row = await conn.fetchrow(
        "INSERT INTO integrations (id, account_id, channel_id, name, source, verification,"
        " secret, mapping, defaults, actions, mapping_settings)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        f" RETURNING {_COLUMNS}",
        uuid.uuid4(),
        account_id,
        spec.channelId,
        spec.name,
        spec.source,
        verification,
        secret,
        mapping,
        spec.defaults.model_dump(mode="json"),
        actions,
        spec.mappingSettings.model_dump(mode="json", exclude_defaults=True),
    )
    return _decoded(row), secret


async def page(
    conn: asyncpg.Connection, account_id: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, count(*) OVER () AS total FROM integrations WHERE account_id = $1"
        " ORDER BY created_at, id LIMIT $2 OFFSET $3",
        account_id,
        limit,
        offset,
    )
    return await _page(
        conn, rows, "SELECT count(*) FROM integrations WHERE account_id = $1", account_id
    )


async def get(
    conn: asyncpg.Connection | asyncpg.Pool,
    account_id: int | None,
    integration_id: uuid.UUID,
    for_update: bool = False,
) -> dict[str, Any]:
    """`for_update` (inside a transaction) holds the row until it commits, so a change read
    from it cannot overwrite a concurrent one."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM integrations WHERE id = $1 AND {_OWNED_BY_2}"
        + (" FOR UPDATE" if for_update else ""),
        integration_id,
        account_id,
    )
    return _found(row, integration_id)


async def set_status(
    conn: asyncpg.Connection, account_id: int | None, integration_id: uuid.UUID, status: str
) -> dict[str, Any]:
    """Pause (`disabled`: its webhook answers 404 and nothing reaches Kafka) or resume.
    `account_id` None (the operators' command line) means whichever account owns it."""
    row = await conn.fetchrow(
        f"UPDATE integrations SET status = $3 WHERE id = $1 AND {_OWNED_BY_2} RETURNING {_COLUMNS}",
        integration_id,
        account_id,
        status,
    )
    return _found(row, integration_id)


def as_stored(spec: IntegrationSpec) -> dict[str, Any]:
    """What `spec` configures, as a stored row's columns hold it (what a delivery's conversion
    reads): for storing it, or for trying an edit on a delivery before it is saved."""
    return {
        "name": spec.name,
        "channel_id": spec.channelId,
        "mapping": spec.mapping,
        "defaults": spec.defaults.model_dump(mode="json"),
        "actions": spec.actions,
        "mapping_settings": spec.mappingSettings.model_dump(mode="json", exclude_defaults=True),
    }


async def update(
    conn: asyncpg.Connection, account_id: int, integration_id: uuid.UUID, spec: IntegrationSpec
) -> dict[str, Any]:
    columns = as_stored(spec)
    assigned = ", ".join(f"{name} = ${n}" for n, name in enumerate(columns, start=3))
    row = await conn.fetchrow(
        f"UPDATE integrations SET {assigned} WHERE id = $1 AND account_id = $2"
        f" RETURNING {_COLUMNS}",
        integration_id,
        account_id,
        *columns.values(),
    )
    return _found(row, integration_id)


async def delete(
    conn: asyncpg.Connection, account_id: int | None, integration_id: uuid.UUID
) -> None:
    """Its webhook answers 404 from now on and its deliveries log goes; its events stay."""
    status = await conn.execute(
        f"DELETE FROM integrations WHERE id = $1 AND {_OWNED_BY_2}", integration_id, account_id
    )
    if status == "DELETE 0":
        raise IntegrationNotFound(f"no integration {integration_id}")


async def rotate_secret(
    conn: asyncpg.Connection,
    account_id: int | None,
    integration_id: uuid.UUID,
    rotation: SecretRotation,
    new_secret: Callable[[str], str],
) -> tuple[dict[str, Any], str]:
    """A new secret (the rotation's, else `new_secret(source)`); the old one stays valid for
    the overlap. Returns the row and the secret. Raises IntegrationNotFound, or
    InvalidIntegration when the rotation's secret cannot be the sender's."""
    async with conn.transaction():
        source = await conn.fetchval(
            f"SELECT source FROM integrations WHERE id = $1 AND {_OWNED_BY_2} FOR UPDATE",
            integration_id,
            account_id,
        )
        if source is None:
            raise IntegrationNotFound(f"no integration {integration_id}")
        problems = secret_problems(source, rotation.secret)
        if problems:
            raise InvalidIntegration(problems)
        secret = rotation.secret or new_secret(source)
        row = await conn.fetchrow(
            "UPDATE integrations SET previous_secret = secret, secret = $2,"
            " previous_secret_until = now() + make_interval(secs => $3)"
            f" WHERE id = $1 RETURNING {_COLUMNS}",
            integration_id,
            secret,
            float(rotation.overlapSeconds),
        )
    return _decoded(row), secret


async def for_intake(pool: asyncpg.Pool, integration_id: uuid.UUID) -> dict[str, Any] | None:
    """The integration with its secrets (the current one first, then the previous one while
    its overlap lasts), for verifying a delivery; None when unknown."""
    # A disabled account's integrations are unknown to its senders, like paused ones.
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS}, secret, previous_secret FROM integrations WHERE id = $1"
        " AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id AND a.status = 'active')",
        integration_id,
    )
    if row is None:
        return None
    integration = _decoded(row)
    previous = integration.pop("previous_secret")
    overlapping = previous is not None and integration["previous_secret_until"] is not None
    integration["secrets"] = [integration["secret"], *([previous] if overlapping else [])]
    return integration


_RECORD_DELIVERY = (
    "INSERT INTO webhook_deliveries (id, integration_id, request_id, sender_action,"
    " document_id, status, reason_code, reason, fields, message_id, event_id, notes,"
    " idempotency_key, replay_of, headers, body, query)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
)


async def record_delivery(db: asyncpg.Pool | asyncpg.Connection, delivery: dict[str, Any]) -> None:
    """Insert the delivery's row; none when the integration was deleted meanwhile (its log
    went with it), so a delivery answered during a deletion never fails."""
    error = (await record_deliveries(db, [delivery]))[0]
    if error is not None:
        raise error


async def record_deliveries(
    db: asyncpg.Pool | asyncpg.Connection, deliveries: Sequence[dict[str, Any]]
) -> list[asyncpg.PostgresError | None]:
    """Insert the deliveries' rows in one transaction and one round trip (asyncpg pipelines
    `executemany`). Returns each delivery's error, None when its row is stored or skipped
    because its integration was deleted meanwhile: when the statement fails, the rows go in
    one by one, so a row PostgreSQL refuses fails alone. Connection errors raise."""
    rows = [_delivery_row(d) for d in deliveries]
    try:
        await db.executemany(_RECORD_DELIVERY, rows)
    except asyncpg.PostgresError:
        return [await _record_one(db, row) for row in rows]
    return [None] * len(rows)


async def _record_one(
    db: asyncpg.Pool | asyncpg.Connection, row: tuple[Any, ...]
) -> asyncpg.PostgresError | None:
    try:
        await db.execute(_RECORD_DELIVERY, *row)
    except asyncpg.ForeignKeyViolationError:
        return None  # the integration was deleted meanwhile, and its log with it
    except asyncpg.PostgresError as exc:
        return exc
    return None


def _delivery_row(delivery: dict[str, Any]) -> tuple[Any, ...]:
    return (
        delivery["id"],
        delivery["integration_id"],
        delivery["request_id"],
        _storable(delivery.get("sender_action")),
        _storable(delivery.get("document_id")),
        delivery["status"],
        delivery.get("reason_code"),
        _storable(delivery.get("reason")),
        _storable(delivery.get("fields") or None),
        delivery.get("message_id"),
        delivery.get("event_id"),
        _storable(delivery.get("notes")),
        _storable(delivery.get("idempotency_key")),
        delivery.get("replay_of"),
        _storable(delivery.get("headers")),
        delivery.get("body"),
        _storable(delivery.get("query")),
    )


def _storable(value: Any) -> Any:
    """A refused delivery is recorded with what it quotes of the sender's document (its id,
    field errors naming values), which may hold what PostgreSQL cannot store: spelled as
    escapes instead, or recording it fails."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {storable_text(str(k)): _storable(v) for k, v in value.items()}
    return value


async def deliveries(
    conn: asyncpg.Connection, integration_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, each with its status as it is now (DELIVERY_STATUS)."""
    rows = await conn.fetch(
        "SELECT d.id, d.request_id, d.received_at, d.sender_action, d.document_id,"
        f" {DELIVERY_STATUS} AS status, {DELIVERY_REASON_CODE} AS reason_code,"
        f" {DELIVERY_REASON} AS reason, d.fields, d.message_id, d.event_id, d.notes,"
        " d.replay_of, d.body IS NOT NULL AS body_kept, count(*) OVER () AS total"
        " FROM webhook_deliveries d LEFT JOIN command_outcomes o ON o.message_id = d.message_id"
        " WHERE d.integration_id = $1 ORDER BY d.received_at DESC, d.id LIMIT $2 OFFSET $3",
        integration_id,
        limit,
        offset,
    )
    return await _page(
        conn,
        rows,
        "SELECT count(*) FROM webhook_deliveries WHERE integration_id = $1",
        integration_id,
    )


async def kept_delivery(
    conn: asyncpg.Connection | asyncpg.Pool, integration_id: uuid.UUID, delivery_id: uuid.UUID
) -> dict[str, Any]:
    """A delivery as kept for preview and replay (headers, body, query, idempotency key),
    with its status as it is now (DELIVERY_STATUS); DeliveryNotFound when the integration has
    no such one."""
    row = await conn.fetchrow(
        f"SELECT d.id, {DELIVERY_STATUS} AS status, d.headers, d.body, d.query,"
        " d.idempotency_key FROM webhook_deliveries d"
        " LEFT JOIN command_outcomes o ON o.message_id = d.message_id"
        " WHERE d.id = $1 AND d.integration_id = $2",
        delivery_id,
        integration_id,
    )
    if row is None:
        raise DeliveryNotFound(f"no delivery {delivery_id} of integration {integration_id}")
    return dict(row)


async def _page(
    conn: asyncpg.Connection, rows: list[asyncpg.Record], count_sql: str, owner: object
) -> tuple[list[dict[str, Any]], int]:
    """The page's rows and the total, from the window count or (past the end) a count."""
    total = rows[0]["total"] if rows else await conn.fetchval(count_sql, owner)
    return [_decoded(r) for r in rows], int(total)


def _found(row: asyncpg.Record | None, integration_id: uuid.UUID) -> dict[str, Any]:
    if row is None:
        raise IntegrationNotFound(f"no integration {integration_id}")
    return _decoded(row)


def _decoded(row: asyncpg.Record) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "total"}
