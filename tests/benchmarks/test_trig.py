"""``python -m benchmarks.trig --quick`` times sincos against XLA's and measures both errors."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.quick import run_quick


def test_the_quick_trig_benchmark_times_both_and_bounds_their_errors(tmp_path: Path) -> None:
    report = run_quick("trig", tmp_path / "trig.json")
    assert [(row["angles"], row["kind"]) for row in report["results"]] == [
        (16_384, "forward"),
        (16_384, "gradient"),
    ]
    assert all(row["xla_ms"] > 0 and row["sincos_ms"] > 0 for row in report["results"])
    assert set(report["max_error"]) == {"xla", "sincos"}
    assert max(report["max_error"].values()) < 1e-7
