from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# The suite's property tests run the same examples on every run (CI must not flake on a new
# draw); HYPOTHESIS_PROFILE=explore draws fresh ones, many more, to hunt for new failures.
settings.register_profile(
    "suite",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "explore",
    parent=settings.get_profile("suite"),
    derandomize=False,
    max_examples=5_000,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
