"""The README and docs/ stay true to what they point at: the README's first request is the
one `make run` prints, CI runs the README's test command, and every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devstack.__main__ import _cli_command, _print_banner
from devstack.seed import DEMO_CHANNEL_ID, DemoData

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def first_request(text: str) -> str:
    """The first `curl -s -i` command, its continuation lines joined and spaces collapsed."""
    start = text.index("curl -s -i")
    end = text.index("}}}'", start) + len("}}}'")
    return " ".join(text[start:end].replace("\\\n", " ").split())


def test_readme_sends_the_request_make_run_prints(capsys: pytest.CaptureFixture[str]) -> None:
    demo = DemoData(1, DEMO_CHANNEL_ID, "demo", api_key="$KEY", owner_key="$OWNER")
    cli = ".venv/bin/pinned"
    _print_banner("http://127.0.0.1:8080", "http://127.0.0.1:8083", demo, ".stack/run/logs", cli)
    assert first_request(README.read_text()) == first_request(capsys.readouterr().out)


def test_the_operator_command_line_is_printed_with_the_stacks_database() -> None:
    assert _cli_command("postgresql://pinned@127.0.0.1:15432/pinned") == ".venv/bin/pinned"
    shifted = "postgresql://pinned@127.0.0.1:19432/pinned"  # PINNED_PORT_OFFSET=4000
    assert _cli_command(shifted) == f"DATABASE_URL={shifted} .venv/bin/pinned"


def test_readme_shows_the_two_commands_and_ci_runs_one_of_them() -> None:
    readme = README.read_text()
    assert "make run" in readme
    assert "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line for line in ci if line.strip() and not line.startswith("#")]
    assert commands[-1] == "make test"


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors (lower case, punctuation dropped, spaces to hyphens) and
    explicit `<a id>`s."""
    text = page.read_text()
    found = set(re.findall(r'<a id="([^"]+)"', text))
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    for target in _LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in anchors(linked), f"{page.name}: {target}"
