"""``python -m benchmarks.gan --quick`` trains and scores both GANs and checks their goals."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.quick import run_quick


def test_the_quick_gan_benchmark_writes_both_rows_and_their_goals(tmp_path: Path) -> None:
    report = run_quick("gan", tmp_path / "digits.json")
    assert "classifier-based" in report["metrics"] and "recognisable >= 80%" in report["goals"]
    for row in report["rows"]:
        assert row["steps"] == 2 and row["samples"] == 64 and row["held_out"] == 360
        score, floor, ceiling = row["generated"], row["floor"], row["ceiling"]
        assert score["fid"] > 0 and floor["fid"] < ceiling["fid"]
        assert row["fid_to_floor"] == score["fid"] / floor["fid"]
        # Two generator steps draw no digits: the goals are checked, and not met.
        assert not row["goals_met"]["recognisable"] and not row["goals_met"]["fid"]
        for grid in ("samples", "most-sure", "least-sure", "epoch-1"):
            assert (tmp_path / f"{row['preset']}-{grid}.png").exists()
    quantum, classical = report["rows"]
    assert (quantum["preset"], classical["preset"]) == ("digits-qgan", "digits-transgan")
    assert quantum["generator_qubits"] > 0 and classical["generator_qubits"] == 0
    assert set(quantum["goals_met"]) == {"recognisable", "class_coverage", "fid", "budget"}
    assert "budget" not in classical["goals_met"] and report["all_goals_met"] is False
