"""docs/configuration.md lists exactly the environment variables the code reads: the
variables come from the settings classes and environment reads themselves, never a list."""

from __future__ import annotations

import re
from pathlib import Path

from tests.config_variables import code_variables, direct_env_reads, settings_variables

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def documented_variables(markdown: str) -> set[str]:
    """Names in the first cell of the page's table rows: `| `A` / `B` | default | meaning |`."""
    names: set[str] = set()
    for line in markdown.splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 2:
            names |= set(_NAME.findall(cells[1]))
    return names


def test_every_variable_the_code_reads_is_documented() -> None:
    missing = code_variables() - documented_variables(DOC.read_text())
    assert not missing, f"add to docs/configuration.md: {sorted(missing)}"


def test_every_documented_variable_is_read_by_the_code() -> None:
    stale = documented_variables(DOC.read_text()) - code_variables()
    assert not stale, f"docs/configuration.md names variables nothing reads: {sorted(stale)}"


def test_the_derivation_sees_settings_fields_aliases_and_direct_reads() -> None:
    from_settings = settings_variables()
    assert {"GATEWAY_PORT", "RATE_LIMIT_PER_IP", "AUDITOR_CONSUMERS"} <= from_settings
    assert "DATABASE_URL" in from_settings  # an alias, not prefix + field name
    assert "PORT" not in from_settings  # WorkerSettings is a base: it reads nothing itself
    assert {"PINNED_PORT_OFFSET", "PINNED_STACK_DIR"} <= direct_env_reads()


def test_documented_names_are_read_from_first_cells_only() -> None:
    page = "| `A_B` / `C` | `D_E` | uses `F` |\n|---|---|---|\ntext `G` here\n"
    assert documented_variables(page) == {"A_B", "C"}
