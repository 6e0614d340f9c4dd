"""The read-model row of each event or occurrence a person planned, for their lists and
their calendar.

An occurrence taken out of its series (an EXDATE, or a rule that no longer has its date)
loses its `discovery_events` row, but not its plans: the notifier keeps its `plan_events`
row, cancelled at the times people planned. Such a plan is shown from another row of its
series (title, place, channel: the series index finds one; a series always keeps at least
one occurrence, as EXDATEs that remove every one are refused), at the times and with the
status planning holds, so it stays in people's plans marked cancelled instead of vanishing.

The status is planning's, not always `cancelled`: the projector and the notifier follow the
change stream apart, and when an event turns recurring the notifier may carry plans to an
occurrence before the projector has written its row; that occurrence still takes place.
"""

from __future__ import annotations

from shared.adapters.plans import OCCURRENCE_ID


def planned_row(key: str) -> str:
    """SQL: `CROSS JOIN LATERAL (...) d`, the row of the event or occurrence whose key is the
    column `key` of the plan joined (`r.event_id`): its own row, else, for an occurrence no
    longer in its series, one made from its series and its planning row. The aliases inside
    (`own`, `e`, `other`, `gone`, `kept`) must not be the plan's."""
    # the columns the lists and the calendar read of `d` (ROW_COLUMNS, PUBLIC_JSON, filters)
    return f"""CROSS JOIN LATERAL (
    SELECT own.event_id, own.series_id, own.recurrence_id, own.version, own.status, own.event,
           own.start_at, own.changed_at, own.channel_id
    FROM discovery_events own WHERE own.event_id = {key}
    UNION ALL
    SELECT e.event_id, e.series_id, e.recurrence_id, other.version, gone.status,
           other.event || jsonb_build_object(
               'id', {OCCURRENCE_ID}, 'seriesId', e.series_id::text,
               'recurrenceId', {_iso_in_zone("e.recurrence_id")},
               'startAt', {_iso_in_zone("e.start_at")}, 'endAt', {_iso_in_zone("e.end_at")},
               'status', gone.status),
           e.start_at, other.changed_at, other.channel_id
    FROM plan_events e
    CROSS JOIN LATERAL (
        SELECT version, status, event, changed_at, channel_id FROM discovery_events
        WHERE series_id = e.series_id ORDER BY start_at LIMIT 1
    ) other
    -- a series back in draft hides all its rows, this one too
    CROSS JOIN LATERAL (
        SELECT CASE WHEN other.status = 'draft' THEN 'draft' ELSE e.status END AS status
    ) gone
    WHERE e.event_id = {key} AND e.series_id IS NOT NULL
      AND NOT EXISTS (SELECT FROM discovery_events kept WHERE kept.event_id = {key})
) d"""  # noqa: S608  (constant fragments and a column name)


def _iso_in_zone(instant: str) -> str:
    """SQL: the instant as ISO 8601 in the planning row's zone, with that zone's offset then
    (`2027-03-09T19:00:00+01:00`), as the projector writes an occurrence's times (a fraction
    of a second in as few digits as it needs). The sign is written apart: to_char gives
    -03:30 as `-03:-30`."""
    local, utc = f"({instant} AT TIME ZONE e.timezone)", f"({instant} AT TIME ZONE 'UTC')"
    return (
        f"(to_jsonb({local}) #>> '{{}}') || CASE WHEN {local} < {utc} THEN '-' ELSE '+' END"
        f" || to_char(make_interval(secs => abs(extract(epoch FROM {local} - {utc}))), 'HH24:MI')"
    )
