"""Operation ids round-trip for the deployment that sealed them and for nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts.operations import OperationRef, operation_id, read_operation_id

KEY = b"k" * 32
REF = OperationRef(
    message_id=uuid.uuid4(),
    event_id=uuid.uuid4(),
    owner_id=42,
    accepted_at=datetime(2026, 6, 12, 18, 0, 7, tzinfo=UTC),
    kind="update_event",
)


def test_an_id_reads_back_as_issued() -> None:
    issued = operation_id(REF, KEY)
    assert issued.startswith("op_")
    assert read_operation_id(issued, KEY) == REF


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # the tag
        lambda s: s[:10] + ("A" if s[10] != "A" else "B") + s[11:],  # the payload
        lambda s: s[3:],  # no prefix
        lambda s: s + "AAAA",
        lambda s: s[:40],
        lambda s: "op_!!!",
        lambda s: "op_",
    ],
)
def test_anything_else_is_not_an_operation(mangle: object) -> None:
    assert read_operation_id(mangle(operation_id(REF, KEY)), KEY) is None  # type: ignore[operator]


def test_another_deployments_key_does_not_open_it() -> None:
    assert read_operation_id(operation_id(REF, KEY), b"x" * 32) is None


@given(text=st.text(max_size=120))
def test_arbitrary_text_never_raises(text: str) -> None:
    assert read_operation_id(text, KEY) is None or text.startswith("op_")
