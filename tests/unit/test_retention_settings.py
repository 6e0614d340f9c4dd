"""Retention settings that would break a promise are refused at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.publisher.settings import PublisherSettings


def test_outcomes_must_be_kept_as_long_as_the_keys_that_read_them() -> None:
    assert PublisherSettings(idempotency_retention_hours=720, outcome_retention_days=30)
    with pytest.raises(ValidationError, match="PUBLISHER_OUTCOME_RETENTION_DAYS"):
        PublisherSettings(idempotency_retention_hours=721, outcome_retention_days=30)
