"""The integration page's mapping form, read as the change the developer API's PATCH takes
(`mapping` and `mappingSettings`), so one service layer validates both entry points and its
errors name the same paths; and the sample delivery it is previewed on.

Settings are plain inputs where they are one value (media base URL, locale, the identity's
three expressions) and JSON where they nest (value maps, as docs/webhooks.md writes them):
each input is named by its path in the PATCH body, the path an error names.
"""

from __future__ import annotations

import json
from typing import Any

from services.gateway.errors import InvalidInput
from services.gateway.portal.visits import Visit
from services.gateway.webhooks import trial
from shared.adapters.integrations import MAPPABLE_FIELDS
from shared.core.json_body import UndecodableJson, decode_json
from shared.domain.events import FieldError

SETTINGS = "mappingSettings"
VALUE_MAPS = f"{SETTINGS}.valueMaps"
_SINGLE = ("mediaBaseUrl", "locale")
_IDENTITY = ("documentId", "version", "action")
# The settings' inputs, each named by its path under mappingSettings.
SETTINGS_INPUTS = (*_SINGLE, *(f"identity.{name}" for name in _IDENTITY), "valueMaps")
EXAMPLE_VALUE_MAPS = '{"categories": {"values": {"food_and_drink": "food-drink"}}}'


def typed_change(visit: Visit) -> dict[str, Any]:
    """The form as a PATCH body: `mapping` (the fields typed; empty ones fall back to the
    sender's defaults) and `mappingSettings` as a whole. Value maps that are not JSON are
    refused naming `mappingSettings.valueMaps`."""
    mapping = {f: visit.field(f"map.{f}") for f in MAPPABLE_FIELDS if visit.field(f"map.{f}")}
    return {"mapping": mapping, SETTINGS: _typed_settings(visit)}


def _typed_settings(visit: Visit) -> dict[str, Any]:
    settings: dict[str, Any] = _filled({n: visit.field(f"{SETTINGS}.{n}") for n in _SINGLE})
    identity = _filled({n: visit.field(f"{SETTINGS}.identity.{n}") for n in _IDENTITY})
    if identity:
        settings["identity"] = identity
    maps = visit.field(VALUE_MAPS)
    if maps:
        try:
            settings["valueMaps"] = decode_json(maps.encode())
        except UndecodableJson as exc:
            message = f"not JSON: {exc} (e.g. {EXAMPLE_VALUE_MAPS})"
            raise InvalidInput([FieldError(VALUE_MAPS, "malformed_json", message)]) from None
    return settings


def _filled(inputs: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in inputs.items() if value}


def settings_inputs(visit: Visit, stored: dict[str, Any]) -> dict[str, str]:
    """What each settings input shows: as typed when the form came back, else as stored
    (value maps as indented JSON)."""
    if visit.form is not None:
        return {name: visit.field(f"{SETTINGS}.{name}") for name in SETTINGS_INPUTS}
    shown = {name: stored.get(name) or "" for name in _SINGLE}
    identity = stored.get("identity") or {}
    shown |= {f"identity.{name}": identity.get(name) or "" for name in _IDENTITY}
    maps = stored.get("valueMaps")
    shown["valueMaps"] = json.dumps(maps, indent=2, ensure_ascii=False) if maps else ""
    return shown


def sample_of(visit: Visit) -> trial.Sample:
    """The pasted delivery: its body, headers ('Name: value' lines) and URL query."""
    return trial.Sample(
        _headers(visit.field("sampleHeaders")),
        visit.field("sample").encode(),
        visit.field("sampleQuery").lstrip("?"),
    )


def _headers(text: str) -> dict[str, str]:
    """'Name: value' lines as headers; a line without a colon is refused, naming it."""
    headers = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            message = f"line {number} is not 'Name: value'"
            raise InvalidInput([FieldError("sampleHeaders", "format", message)])
        headers[name.strip()] = value.strip()
    return headers
