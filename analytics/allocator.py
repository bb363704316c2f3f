"""glibc allocator tuning for the processes that draw charts (the bot and its workers).

Why: a chart holds several 5-6 MB buffers while it renders (the 1600x900 RGBA canvas and
its copies for the PNG). After the first is freed glibc raises its mmap threshold, so later
ones come from per-thread heaps that keep the memory; with six worker threads the bot's
resident memory settled above 300 MB. A fixed threshold gives allocations of 4 MB and more
their own mappings, returned to the system when freed (bench figure 8,
docs/benchmarks.md). Does nothing without glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("marketbot.allocator")

#: glibc ``mallopt`` parameter M_MMAP_THRESHOLD (malloc.h), and the threshold we set.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 * 1024 * 1024


def return_big_buffers_to_the_system() -> None:
    """Give allocations of 4 MB and more their own mappings (see the module docstring)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):
        log.debug("mallopt unavailable; allocator left as is")
