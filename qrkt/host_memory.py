"""Keeping a compiled step's host memory from one call to the next, where malloc is glibc's.

XLA's CPU runtime takes one block for all the temporaries of a call from ``malloc`` and frees it
when the call ends. glibc serves a block above its mmap threshold (which follows what was
freed, up to 32 MiB) with a fresh ``mmap`` and unmaps it at ``free``, so each call of a step
whose temporaries exceed that faults all their pages in again. digits-qgan's training step has
41 MiB of them; with the thresholds raised, its step took 32.1 ms instead of 38.2 ms
(``python -m benchmarks.gan_step``, ``benchmarks/results/gan_step.json``; issue 19).
:func:`keep_step_memory` raises glibc's mmap and trim thresholds to 1 GiB, so that such blocks
come from the heap and stay there for the next call; qrkt's training loop calls it as it
starts. Elsewhere than glibc it changes nothing.
"""

from __future__ import annotations

import ctypes
import logging

logger = logging.getLogger(__name__)

#: Blocks below this come from the heap, and freed memory up to this stays with the process.
THRESHOLD = 1 << 30
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def keep_step_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to :data:`THRESHOLD`; whether they were."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):  # not glibc (macOS, Windows)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    kept = all(
        mallopt(parameter, THRESHOLD) for parameter in (_M_MMAP_THRESHOLD, _M_TRIM_THRESHOLD)
    )
    if not kept:
        logger.debug("malloc kept its thresholds: steps may fault their temporaries in again")
    return kept
