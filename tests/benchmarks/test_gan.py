"""``python -m benchmarks.gan --quick`` trains and scores both GANs and writes its report."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.quick import run_quick


def test_the_quick_gan_benchmark_writes_both_rows(tmp_path: Path) -> None:
    report = run_quick("gan", tmp_path / "gan.json")
    assert "classifier-based" in report["metrics"]
    for row in report["rows"]:
        assert row["steps"] == 2 and row["samples"] == 64
        assert row["fid"] > 0 and row["floor"]["fid"] < row["ceiling"]["fid"]
        assert (tmp_path / f"{row['preset']}-samples.png").exists()
    quantum, classical = report["rows"]
    assert (quantum["preset"], classical["preset"]) == ("digits-qgan", "digits-transgan")
    assert quantum["generator_qubits"] == 200 and classical["generator_qubits"] == 0
    assert report["fid_ratio_quantum_to_classical"] == quantum["fid"] / classical["fid"]
