"""The qubit benchmark: its quick mode runs every installed backend and writes its results;
its growth fit and memory probe measure what they claim."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

from benchmarks.qubits import CANDIDATES, growth_rate, peak_rss_mib
from qrkt.backends.registry import backend_entry
from tests.benchmarks.quick import run_quick


def test_quick_mode_times_every_backend_and_transpiles(tmp_path: Path) -> None:
    out = tmp_path / "qubits.json"
    report = run_quick("qubits", out)
    assert report["settings"]["series_budget_s"] is None  # quick: every n is measured
    installed = {label for label, (name, _) in CANDIDATES.items() if backend_entry(name).installed}
    assert {p["backend"] for p in report["points"]} == installed
    for point in report["points"]:
        assert point["forward"]["ms"] > 0 and point["grad"]["ms"] > 0, point
        assert (point["n"], point["batch"]) in {(2, 4), (3, 4)}
        traced = point["backend"] in ("jax", "jax-clifford", "tensorcircuit")
        assert point["memory"] == ("xla" if traced else "rss")
        if point["backend"] == "jax":  # the state (2^n B complex64) and more, in XLA's buffers
            assert point["forward"]["xla_mib"] * 2**20 >= 2 ** point["n"] * 4 * 8
    clifford = {
        (p["ansatz"], p["layers"]) for p in report["points"] if p["backend"] == "jax-clifford"
    }
    assert clifford == {("qrkt", 1)}  # the product-state readout needs a Clifford tail
    assert {(g["backend"], g["kind"]) for g in report["growth"]} == {
        (label, kind) for label in installed for kind in ("forward", "grad")
    }
    for png in ["transpiled", *installed]:
        assert (tmp_path / f"qubits-{png}.png").stat().st_size > 0
    if backend_entry("ibm_runtime").installed:
        rows = {(t["layers"], t["n"]): t for t in report["transpiled"]}
        assert set(rows) == {(1, 2), (1, 3), (2, 2), (2, 3)}
        # Heavy hex has no triangle: the 3-qubit ring needs SWAPs, 3 CNOTs each.
        assert rows[1, 3]["logical_two_qubit"] == 3 and rows[1, 3]["two_qubit"] > 3
        assert rows[2, 2]["two_qubit"] == rows[2, 2]["logical_two_qubit"] == 2


def test_growth_rate_separates_overhead_from_exponential_cost() -> None:
    ns = list(range(2, 21))
    overhead, fit_from, slope = growth_rate(ns, [1.0 + 1e-3 * 2.0**n for n in ns])
    assert (overhead, fit_from) == (9, 10)  # 1 + 2^n / 1000 passes 2 at n = 10
    assert slope == pytest.approx(0.95, abs=0.05)
    overhead, fit_from, slope = growth_rate(ns, [2.0 ** (n / 2) for n in ns])
    assert (overhead, fit_from, slope) == (4, 5, pytest.approx(0.5))
    assert growth_rate([2, 3, 4, 5], [1.0, 1.1, 5.0, 9.0]) == (3, None, None)  # 2 points left


def test_peak_rss_counts_memory_that_xla_allocates() -> None:
    assert peak_rss_mib(lambda: None) < 8
    mib = peak_rss_mib(lambda: jax.block_until_ready(jnp.ones(2**25, jnp.float32) * 2))
    assert mib is not None and mib >= 120  # 128 MiB outside Python's allocator
