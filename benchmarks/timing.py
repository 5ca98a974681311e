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


def time_calls(
    fn: Callable[..., object], x: jax.Array, w: jax.Array, s: Settings
) -> tuple[float, list[float]]:
    """The first call's time and the steady times of repeated calls (seconds)."""
    start = time.perf_counter()
    jax.block_until_ready(fn(x, w))
    first = time.perf_counter() - start
    times: list[float] = []
    deadline = time.perf_counter() + s.budget_s
    while len(times) < s.min_repeats or (
        len(times) < s.max_repeats and time.perf_counter() < deadline
    ):
        start = time.perf_counter()
        jax.block_until_ready(fn(x, w))
        times.append(time.perf_counter() - start)
    return first, times


def gradient(fn: Fn) -> Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]:
    """The gradient of ``fn(x, w).sum()`` with respect to ``x`` and ``w``: what is timed."""
    return jax.grad(lambda x, w: fn(x, w).sum(), argnums=(0, 1))
