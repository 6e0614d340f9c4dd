"""Runs a Node browser scenario (tests/browser/<name>.mjs, built on tests/browser/harness.mjs)
against the real stack, and fails the calling test with the scenario's output.

    await run_scenario("discovery", {"discoveryUrl": ..., "apiKey": ...})

Screenshots land in test-output/browser/<name>/ (PINNED_TEST_OUTPUT moves the folder).
`make tools` installs what it needs: playwright-core (npm ci) and Debian's chromium.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "browser"
CHROMIUM = Path(os.environ.get("PINNED_CHROMIUM", "/usr/bin/chromium"))


def missing_tools() -> list[str]:
    missing = []
    if shutil.which("node") is None:
        missing.append("node (Node 20)")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        missing.append("node_modules/playwright-core (run `make tools`)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (run `make tools`: Debian's chromium)")
    return missing


async def run_scenario(name: str, params: dict[str, Any], timeout_seconds: float = 180) -> str:
    """Run tests/browser/<name>.mjs with `params`; its output when it passes, else the test
    fails with that output (steps, screenshots written, the error)."""
    missing = missing_tools()
    if missing:
        pytest.fail("browser tests need " + ", ".join(missing))
    process = await asyncio.create_subprocess_exec(
        "node",
        str(SCENARIOS / f"{name}.mjs"),
        cwd=ROOT,
        env={**os.environ, "PINNED_SCENARIO_PARAMS": json.dumps(params)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout_seconds)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        pytest.fail(f"browser scenario {name} ran past {timeout_seconds} s:\n{output.decode()}")
    text = output.decode(errors="replace")
    if process.returncode != 0:
        pytest.fail(f"browser scenario {name} failed (exit {process.returncode}):\n{text}")
    return text
