"""A bad setting stops a service with a line naming its environment variable, not a field."""

from __future__ import annotations

import pytest

from services.gateway.settings import GatewaySettings
from services.publisher.settings import PublisherSettings
from shared.core.settings import LogSettings, from_environment


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("PUBLISHER_BATCH_MAX_RECORDS", "zero", "valid integer"),  # the service's own
        ("KAFKA_LINGER_MS", "-1", "greater than or equal to 0"),  # a nested class's prefix
        ("DATABASE_POOL_MIN_SIZE", "x", "valid integer"),  # an alias
        ("LOG_LEVEL", "verbose", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stopped:
        from_environment(PublisherSettings)
    message = str(stopped.value.code)
    assert message.startswith("invalid settings:\n")
    assert f"{variable}=" in message
    assert says in message


def test_good_values_are_read_and_a_log_level_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("GATEWAY_PORT", "9999")
    assert from_environment(LogSettings).level == "DEBUG"
    assert from_environment(GatewaySettings).port == 9999


def test_every_bad_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in (
        ("LOG_LEVEL", "verbose"),
        ("PUBLISHER_BATCH_MAX_RECORDS", "zero"),
        ("KAFKA_LINGER_MS", "-1"),
    ):
        monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stopped:
        from_environment(PublisherSettings)
    lines = str(stopped.value.code).splitlines()[1:]
    assert sorted(line.split("=")[0].strip() for line in lines) == [
        "KAFKA_LINGER_MS", "LOG_LEVEL", "PUBLISHER_BATCH_MAX_RECORDS",
    ]  # fmt: skip
