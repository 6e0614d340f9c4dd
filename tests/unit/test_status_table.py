"""`pinned status`: its table's columns line up whatever the names' lengths."""

from __future__ import annotations

from devstack.ops_cli import Status, render
from shared.runtime.lag import PartitionLag


def test_columns_line_up_with_the_longest_group_name() -> None:
    lags = [
        PartitionLag("pinned-publisher", "pinned.ingest.v1", 0, 5, 7),
        PartitionLag("pinned-discovery-projector", "pinned.event-changes.v1", 11, 3, 3),
    ]
    rendered = render(Status(lags))
    assert rendered is not None
    data, text = rendered
    header, *rows, total = text.splitlines()
    part_column = header.index("part") + len("part")
    assert all(row[part_column - 2 : part_column].strip().isdigit() for row in rows), text
    assert [len(line) for line in (header, *rows)] == [len(header)] * 3, text
    assert total == "total lag 2 message(s)"
    assert [d["lag"] for d in data] == [2, 0]
