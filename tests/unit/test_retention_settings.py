"""Retention settings that would break a promise are refused at start-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.notifier.settings import NotifierSettings
from services.publisher.settings import PublisherSettings
from shared.contracts.topics import LONGEST_RETENTION


def test_outcomes_must_be_kept_as_long_as_the_keys_that_read_them() -> None:
    assert PublisherSettings(idempotency_retention_hours=720, outcome_retention_days=30)
    with pytest.raises(ValidationError, match="PUBLISHER_OUTCOME_RETENTION_DAYS"):
        PublisherSettings(idempotency_retention_hours=721, outcome_retention_days=30)


def test_notices_outlive_every_topic_so_no_redelivery_writes_a_deleted_one_anew() -> None:
    longest_days = LONGEST_RETENTION // timedelta(days=1)
    assert longest_days == 30  # the dead-letter topic's month
    assert NotifierSettings().inbox_retention_days == 180
    assert NotifierSettings(inbox_retention_days=longest_days + 1)
    with pytest.raises(ValidationError, match="inbox_retention_days"):
        NotifierSettings(inbox_retention_days=longest_days)
