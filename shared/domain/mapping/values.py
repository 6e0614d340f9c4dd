"""Value maps: a sender's own values (CMS categories, Webflow option ids) to ours.

Policy for a value the map does not name, chosen per map: `drop` (the default) leaves it out
and notes it in the delivery, so one unknown category never loses the event; `refuse` makes
the field invalid, naming the value; `keep` passes it through unchanged (for values that are
mostly ours already), and validation then judges it. A map entry may name several values
(`arts-and-crafts` -> `arts`, `workshop`) or none (`null`: drop it without a note). Keys
match exactly, else ignoring case and surrounding space.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Unmapped = Literal["drop", "refuse", "keep"]
_Key = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_Target = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ValueMap(BaseModel):
    """One named map of an integration (`valueMaps.<name>`), used as `value_map(x, 'name')`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: dict[_Key, _Target | list[_Target] | None] = Field(
        max_length=1000, description="The sender's value -> ours (a list: several; null: none)"
    )
    unmapped: Unmapped = Field(
        default="drop",
        description="A value not in the map: drop (noted in the delivery), refuse, or keep",
    )


class Noting(Protocol):
    """Where a value left out is noted: the mapping's context, mapping field `target`."""

    target: str

    def note(self, path: str, code: str, message: str) -> None: ...


class UnmappedValue(ValueError):
    """A value outside a `refuse` map."""


def apply(value_map: ValueMap, name: str, value: Any, context: Noting) -> list[str]:
    """Ours for `value` (a string, comma-separated strings, or an array of them; numbers as
    their text), in order, without repeats; raises UnmappedValue under the `refuse` policy."""
    sent = value if isinstance(value, list) else _listed(value_map, value)
    mapped: list[str] = []
    for item in sent:
        if item is None or isinstance(item, dict | list | bool):
            continue
        for ours in _lookup(value_map, name, str(item), context):
            if ours not in mapped:
                mapped.append(ours)
    return mapped


def _listed(value_map: ValueMap, value: Any) -> list[Any]:
    """One value; or, written as forms and spreadsheets write lists, several separated by
    commas (unless the whole text is a key of the map)."""
    if isinstance(value, str) and "," in value and _entry(value_map.values, value) is _MISSING:
        return [part.strip() for part in value.split(",") if part.strip()]
    return [value]


def _lookup(value_map: ValueMap, name: str, item: str, context: Noting) -> list[str]:
    found = _entry(value_map.values, item)
    if found is not _MISSING:
        return [] if found is None else [found] if isinstance(found, str) else list(found)
    if value_map.unmapped == "keep":
        return [item]
    if value_map.unmapped == "refuse":
        raise UnmappedValue(f"'{item}' is not in value map '{name}' (its policy: refuse)")
    context.note(
        context.target, "value_not_mapped", f"value '{item}' is not in value map '{name}': left out"
    )
    return []


_MISSING = object()


def _entry(values: dict[str, Any], item: str) -> Any:
    if item in values:
        return values[item]
    folded = item.strip().casefold()
    return next((v for k, v in values.items() if k.strip().casefold() == folded), _MISSING)
