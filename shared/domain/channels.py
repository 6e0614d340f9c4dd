"""How a channel is shown to people: its visibility and the slug in its public address."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from shared.domain.field_errors import described

# public: listed, searchable, its events on city pages and in search; unlisted: only by its
# link (channel page, feeds, event pages); private: nowhere public.
Visibility = Literal["public", "unlisted", "private"]
VISIBILITIES: tuple[Visibility, ...] = ("public", "unlisted", "private")
# Where a channel's events may appear: by link only, or also in listings and search.
LINKABLE: tuple[Visibility, ...] = ("public", "unlisted")

SLUG_PATTERN = described(
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    "lowercase letters a-z and digits, words joined by single hyphens, such as brooklyn-jazz",
)
Slug = Annotated[
    str,
    StringConstraints(min_length=3, max_length=80, pattern=SLUG_PATTERN),
    Field(description="lowercase letters, digits and single hyphens, e.g. brooklyn-jazz"),
]


class ChannelPublication(BaseModel):
    """The body of `PATCH /api/developer/v1/channels/{channelId}`: either field or both."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    visibility: Visibility | None = None
    slug: Slug | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> ChannelPublication:
        if self.visibility is None and self.slug is None:
            raise PydanticCustomError("nothing_to_change", "send visibility, slug or both")
        return self
