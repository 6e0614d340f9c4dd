"""What an integration configures about mapping, besides the mapping itself: value maps, the
base URL of relative media, the locale of localized fields, and where the document id,
version and action are when the sender's defaults do not fit. Validated when the
integration is made or changed, so every stored one is usable."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.domain.events import FieldError
from shared.domain.field_errors import described
from shared.domain.mapping.expressions import InvalidExpression, compile_expression
from shared.domain.mapping.functions import MappingContext, function_call_problem
from shared.domain.mapping.values import ValueMap

MapName = Annotated[
    str,
    StringConstraints(
        pattern=described(r"^[A-Za-z0-9_-]{1,50}$", "1-50 letters, digits, '_' or '-'")
    ),
]
_VALUE_MAP_CALL = re.compile(r"value_map\([^)]*,\s*'([^']*)'\s*\)")


class Identity(BaseModel):
    """Expressions (dotted paths or JMESPath) for what the sender's module reads by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    documentId: str | None = Field(default=None, description="e.g. data.event.uuid")
    version: str | None = Field(default=None, description="e.g. data.modifiedAt")
    action: str | None = Field(default=None, description="e.g. type")


class MappingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    valueMaps: dict[MapName, ValueMap] = Field(
        default_factory=dict,
        max_length=20,
        description="Named maps of the sender's values to ours, used as value_map(x, 'name')",
    )
    mediaBaseUrl: str | None = Field(
        default=None,
        pattern=described(r"^https://[^\s/?#]+[^\s?#]*$", "an https:// URL"),
        max_length=500,
        description="Relative media URLs (Strapi's /uploads/...) are joined to this",
    )
    locale: str | None = Field(
        default=None, max_length=35, description="The locale localized(...) reads, e.g. en-US"
    )
    identity: Identity = Field(default_factory=Identity)

    def context(self) -> MappingContext:
        """A fresh context for mapping one delivery."""
        return MappingContext(
            media_base_url=self.mediaBaseUrl, value_maps=dict(self.valueMaps), locale=self.locale
        )

    @field_validator("identity")
    @classmethod
    def _identity_compiles(cls, identity: Identity) -> Identity:
        for name, text in identity.model_dump(exclude_none=True).items():
            try:
                compile_expression(text)
            except InvalidExpression as exc:
                raise ValueError(f"{name}: {exc}") from None
        return identity


def mapping_problems(mapping: dict[str, str], settings: MappingSettings) -> list[FieldError]:
    """Each expression that does not compile, calls a function that does not exist (or with
    a number of arguments it does not take), or names a value map the integration lacks."""
    problems = []
    for target, text in mapping.items():
        try:
            compiled = compile_expression(text)
        except InvalidExpression as exc:
            problems.append(FieldError(f"mapping.{target}", "invalid_expression", str(exc)))
            continue
        call_problem = function_call_problem(compiled)
        if call_problem is not None:
            problems.append(FieldError(f"mapping.{target}", "invalid_expression", call_problem))
            continue
        for name in _VALUE_MAP_CALL.findall(text):
            if name not in settings.valueMaps:
                problems.append(
                    FieldError(
                        f"mapping.{target}",
                        "unknown_value_map",
                        f"value map '{name}' is not defined in valueMaps",
                    )
                )
    return problems
