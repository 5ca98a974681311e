"""How the benchmarks time calls: at least ``min_repeats`` steady calls, two if calls are slow."""

from __future__ import annotations

import time

import jax.numpy as jnp

from benchmarks.timing import SLOW_BUDGETS, Settings, time_calls


def _sleeping(seconds: float):
    def call(x, w):
        time.sleep(seconds)
        return x

    return call


def test_fast_calls_repeat_at_least_min_repeats_and_within_the_budget() -> None:
    x = w = jnp.zeros(1)
    _, times = time_calls(_sleeping(0.0), x, w, Settings(0.0, min_repeats=4, max_repeats=10))
    assert len(times) == 4
    _, times = time_calls(_sleeping(0.0), x, w, Settings(10.0, min_repeats=1, max_repeats=7))
    assert len(times) == 7


def test_slow_calls_stop_at_two_once_they_have_spent_several_budgets() -> None:
    budget = 0.01
    slow = _sleeping(SLOW_BUDGETS * budget / 2)  # two calls spend SLOW_BUDGETS budgets
    _, times = time_calls(slow, jnp.zeros(1), jnp.zeros(1), Settings(budget, 5, 100))
    assert len(times) == 2
