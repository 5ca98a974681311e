"""How the benchmarks time a JAX function: steady calls within a time budget, after the first."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jax

Fn = Callable[[jax.Array, jax.Array], jax.Array]


@dataclass(frozen=True)
class Settings:
    """How long to measure: a time budget per measurement, within repeat bounds."""

    budget_s: float
    min_repeats: int
    max_repeats: int


#: Past this many budgets, calls stop at two steady ones even below ``min_repeats``: a call of
#: seconds varies little relative to itself, and five of them would take minutes.
SLOW_BUDGETS = 5


def time_calls(
    fn: Callable[..., object], x: jax.Array, w: jax.Array, s: Settings
) -> tuple[float, list[float]]:
    """The first call's time and the steady times of repeated calls (seconds): until the budget
    is spent, at least ``min_repeats`` (two once they have spent ``SLOW_BUDGETS`` budgets) and
    at most ``max_repeats``."""
    start = time.perf_counter()
    jax.block_until_ready(fn(x, w))
    first = time.perf_counter() - start
    times: list[float] = []
    begun = time.perf_counter()
    while len(times) < s.max_repeats:
        spent = time.perf_counter() - begun
        slow = s.budget_s > 0 and len(times) >= 2 and spent >= SLOW_BUDGETS * s.budget_s
        if spent >= s.budget_s and (len(times) >= s.min_repeats or slow):
            break
        start = time.perf_counter()
        jax.block_until_ready(fn(x, w))
        times.append(time.perf_counter() - start)
    return first, times


def compiled_mib(compiled: jax.stages.Compiled) -> float:
    """The memory XLA assigns to a compiled call's outputs and temporaries (MiB): what the call
    allocates beyond its arguments, exact and reproducible, blind to memory outside XLA."""
    stats = compiled.memory_analysis()
    return round((stats.output_size_in_bytes + stats.temp_size_in_bytes) / 2**20, 6)


def gradient(fn: Fn) -> Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]:
    """The gradient of ``fn(x, w).sum()`` with respect to ``x`` and ``w``: what is timed."""
    return jax.grad(lambda x, w: fn(x, w).sum(), argnums=(0, 1))
