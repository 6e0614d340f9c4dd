"""The chaos ledger's verdicts: a check that cannot fail would prove nothing."""

from __future__ import annotations

from typing import Any

from chaos.ledger import Entry, Ledger, SequenceEntry


class FakeDb:
    def __init__(
        self,
        titles: dict[str, int],
        sequence_titles: dict[str, str],
        audit: dict[str, int] | None = None,
    ) -> None:
        self.titles, self.sequence_titles, self.audit = titles, sequence_titles, audit or {}

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        if "audit_log" in query:
            return [{"request_id": k, "n": v} for k, v in self.audit.items()]
        return [{"title": k, "n": v} for k, v in self.titles.items()]

    async def fetchval(self, query: str, event_id: str) -> str | None:
        return self.sequence_titles.get(event_id)


def ledger(*entries: Entry, sequences: tuple[SequenceEntry, ...] = ()) -> Ledger:
    book = Ledger()
    book.entries.extend(entries)
    book.sequences.extend(sequences)
    return book


async def test_everything_acknowledged_stored_once_passes() -> None:
    book = ledger(Entry("a", "api", "acknowledged"), Entry("b", "webhook", "acknowledged"))
    check = await book.check(FakeDb({"a": 1, "b": 1}, {}), 1)  # type: ignore[arg-type]
    assert (check.sent, check.acknowledged, check.stored, check.passed) == (2, 2, 2, True)


async def test_lost_duplicated_and_stored_after_refusal_each_fail() -> None:
    book = ledger(
        Entry("lost", "api", "acknowledged"),
        Entry("twice", "api", "acknowledged"),
        Entry("refused", "api", "refused"),
        Entry("maybe", "webhook", "unknown"),
    )
    db = FakeDb({"twice": 2, "refused": 1, "maybe": 1}, {})
    check = await book.check(db, 1)  # type: ignore[arg-type]
    assert (check.lost, check.duplicated, check.stored_after_refusal) == (1, 1, 1)
    assert not check.passed


async def test_an_older_acknowledged_update_winning_is_a_reorder() -> None:
    in_order = SequenceEntry("e1", acknowledged=[1, 2, 3], sent=[1, 2, 3])
    reordered = SequenceEntry("e2", acknowledged=[4, 5], sent=[4, 5])
    book = ledger(sequences=(in_order, reordered))
    check = await book.check(FakeDb({}, {"e1": "seq 3", "e2": "seq 4"}), 1)  # type: ignore[arg-type]
    assert check.reordered == 1


async def test_audit_rows_missing_or_doubled_fail() -> None:
    book = ledger(
        Entry("a", "api", "acknowledged", [202], ["r1"]),
        Entry("b", "api", "acknowledged", [202], ["r2"]),
    )
    db = FakeDb({"a": 1, "b": 1}, {}, audit={"r2": 2})
    check = await book.check(db, 1, audit=True)  # type: ignore[arg-type]
    assert (check.audit_missing, check.audit_duplicated, check.passed) == (1, 1, False)
