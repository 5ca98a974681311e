"""``python -m benchmarks.gan_step --quick`` times a GAN preset's training step."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.quick import run_quick


def test_the_quick_gan_step_benchmark_times_a_step_with_its_memory(tmp_path: Path) -> None:
    report = run_quick("gan_step", tmp_path / "gan_step.json")
    assert report["settings"] == {"batch": 4, "steps": 2, "repeats": 2}
    (row,) = report["results"]
    assert (row["preset"], row["malloc"]) == ("digits-transgan", "kept")
    assert row["compile_s"] > 0 and row["temp_mib"] > 0 and row["step_ms"] > 0
