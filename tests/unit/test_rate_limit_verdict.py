from __future__ import annotations

from shared.adapters.rate_limits import Limit, verdict

LIMITS = [Limit("ip", "127.0.0.1", 100), Limit("key", "k1", 10), Limit("events-create", "k1", 5)]


def test_within_every_quota_is_allowed_and_reports_the_tightest_policy() -> None:
    hits = {"ip:127.0.0.1": 3, "key:k1": 3, "events-create:k1": 3}
    result = verdict(LIMITS, hits, reset_in=42, window=60)
    assert result.allowed
    assert result.headers["RateLimit"] == '"events-create";r=2;t=42'
    assert result.headers["RateLimit-Policy"] == (
        '"ip";q=100;w=60, "key";q=10;w=60, "events-create";q=5;w=60'
    )
    assert "Retry-After" not in result.headers


def test_the_last_request_of_a_quota_is_allowed() -> None:
    assert verdict(LIMITS, {"events-create:k1": 5}, reset_in=1, window=60).allowed


def test_over_any_quota_is_refused_with_retry_after_the_window_reset() -> None:
    result = verdict(LIMITS, {"key:k1": 11, "events-create:k1": 2}, reset_in=17, window=60)
    assert not result.allowed
    assert result.headers["Retry-After"] == "17"
    assert result.headers["RateLimit"] == '"key";r=0;t=17'


def test_retry_after_is_never_zero() -> None:
    result = verdict(LIMITS, {"ip:127.0.0.1": 101}, reset_in=0, window=60)
    assert result.headers["Retry-After"] == "1"
