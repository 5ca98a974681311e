"""``keep_step_memory``: a step's large temporaries come from glibc's heap, not a fresh mmap."""

from __future__ import annotations

import ctypes

import pytest

from qrkt.host_memory import THRESHOLD, keep_step_memory


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",  # bytes in mmapped blocks
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def test_a_block_of_a_large_step_comes_from_the_heap() -> None:
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("not glibc 2.33 or later: keep_step_memory changes nothing here")
    libc.mallinfo2.restype = _MallInfo2
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    assert keep_step_memory()
    size = 64 << 20  # digits-qgan's step has 41 MiB of temporaries
    assert size < THRESHOLD
    mapped = libc.mallinfo2().hblkhd
    block = libc.malloc(size)
    try:
        assert libc.mallinfo2().hblkhd - mapped < size
    finally:
        libc.free(block)
