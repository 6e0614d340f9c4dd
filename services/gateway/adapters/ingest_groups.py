"""The batch endpoint's commands as Kafka messages: one per ingest partition and request, as
IngestGroups of at most `max_commands` commands and `max_bytes` bytes (a command alone when
it is the only one, or too large to share).

A message per item cost a produce per item in the gateway (aiokafka's `send`: 13-15 us of
CPU each), and a record per item in the broker and the publisher. A group's Kafka key is its
first command's event id: every command in it has the same partition, so the key places the
group where each of its commands alone would go, and one event's commands stay in order on
its partition, as the publisher needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.adapters.partitioner import partition_for
from shared.contracts.messages import encode_group, group_overhead

# Well under the broker's 1 MiB message limit and the producer's 512 KiB batches; 100
# commands are well under a publisher transaction's (PUBLISHER_BATCH_MAX_RECORDS, 1,500).
MAX_GROUP_BYTES = 256 * 1024
MAX_GROUP_COMMANDS = 100


@dataclass(frozen=True)
class Encoded:
    """A command as the publisher reads it alone (`encode`), and its Kafka key (event id)."""

    value: bytes
    key: bytes


@dataclass
class Group:
    """Positions (in the request's order) of the commands one message carries."""

    positions: list[int] = field(default_factory=list)
    size: int = 0  # of the commands' own encodings

    def fits(self, size: int, max_bytes: int, max_commands: int) -> bool:
        """Whether a command of `size` bytes may join; an empty group takes any one."""
        count = len(self.positions) + 1
        if count == 1:
            return True
        return count <= max_commands and self.size + size + group_overhead(count) <= max_bytes

    def message(self, commands: Sequence[Encoded]) -> tuple[bytes, bytes]:
        """(value, key): the command itself when alone, else an IngestGroup of them."""
        first = commands[self.positions[0]]
        if len(self.positions) == 1:
            return first.value, first.key
        return encode_group([commands[p].value for p in self.positions]), first.key


def group_commands(
    commands: Sequence[Encoded],
    partitions: Sequence[int],
    max_bytes: int = MAX_GROUP_BYTES,
    max_commands: int = MAX_GROUP_COMMANDS,
) -> list[Group]:
    """The groups `commands` travel in, each within one partition of `partitions` (the
    topic's, in order) and in the commands' order; every position in exactly one group."""
    groups: list[Group] = []
    open_groups: dict[int, Group] = {}
    for position, command in enumerate(commands):
        partition = partition_for(command.key, partitions, partitions)
        group = open_groups.get(partition)
        if group is None or not group.fits(len(command.value), max_bytes, max_commands):
            group = open_groups[partition] = Group()
            groups.append(group)
        group.positions.append(position)
        group.size += len(command.value)
    return groups
