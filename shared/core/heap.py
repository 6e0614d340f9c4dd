"""Keeping the garbage collector off what lives for the whole process, and off what lives for
one batch."""

from __future__ import annotations

import gc

# Container allocations (less deallocations) between young collections; CPython's default is
# 700. Only objects in reference cycles need a collection (reference counting frees the
# rest), but every young collection walks all young objects: a publisher batch holds 1,500
# decoded commands of about 30 objects each until it is stored, and at 700 the collector
# walked them again and again on the way (in process: decode 20-32 -> 15-21 us per command;
# whole processes: inside the noise; docs/performance.md, "Garbage collection after the
# freeze"). The older generations keep CPython's 10.
YOUNG_COLLECTION_THRESHOLD = 10_000


def freeze_startup_objects() -> None:
    """Call once start-up has built its long-lived data (the place catalogue alone is ~90,000
    objects). Every full collection walked them all, 36 ms each, several times a second
    while the publisher drained a backlog; frozen, collections only walk what came later.
    Young collections then run less often (`YOUNG_COLLECTION_THRESHOLD`)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
