"""``python -m benchmarks.compile --quick`` compiles a preset cold and warm (issue 17)."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.quick import run_quick


def test_the_quick_compile_benchmark_times_a_cold_and_a_warm_compile(tmp_path: Path) -> None:
    report = run_quick("compile", tmp_path / "compile.json")
    assert report["settings"] == {"batch": 4}
    (row,) = report["results"]
    assert row["preset"] == "digits-qrk1"
    assert 0 < row["warm_s"] < row["cold_s"]
