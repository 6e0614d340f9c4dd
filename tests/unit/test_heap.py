"""Start-up objects leave the collector's generations, and young collections run less often."""

from __future__ import annotations

import gc

from shared.core.heap import YOUNG_COLLECTION_THRESHOLD, freeze_startup_objects


def test_startup_objects_are_frozen_and_young_collections_spaced() -> None:
    before = gc.get_threshold()
    long_lived = [[n] for n in range(1_000)]
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() >= len(long_lived)
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
