"""What large batches of work share: an import of a million lines, a catch-up of as many."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Large batches make millions of small objects and free few: the cycle collector would
    walk them all again and again (benchmarks/RESULTS.md says what it cost) and find
    nothing to free. Restores the collector as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
