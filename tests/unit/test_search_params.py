"""A search's date range: without `from` it starts today, and a refusal says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.datastructures import QueryParams

from services.discovery.web.errors import InvalidParameter
from services.discovery.web.params import search_query


def test_a_to_before_today_names_the_default_from() -> None:
    before = datetime.now(UTC).date()
    with pytest.raises(InvalidParameter) as refused:
        search_query(QueryParams("to=2001-06-30"), strict=True)
    after = datetime.now(UTC).date()  # the same day unless the test ran across midnight
    assert refused.value.field == "to"
    assert refused.value.message in {
        f"Query parameter 'to' is before 'from' (today, {day}, when not given)."
        for day in (before, after)
    }
    with pytest.raises(InvalidParameter) as given:
        search_query(QueryParams("from=2001-07-01&to=2001-06-30"), strict=True)
    assert given.value.message == "Query parameter 'to' is before 'from'."
