"""The shot benchmark: its tests accept binomial shot noise and reject too much of it or a
bias; in quick mode the seeded noiseless samplers agree with 1/sqrt(shots) and the noisy
device shows its bias."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.shots import agreement, chi_square_quantile, shot_stats
from qrkt.backends.registry import backend_entry
from tests.benchmarks.quick import run_quick

EXACT = np.array([[0.9, -0.3, 0.0], [0.5, 0.2, -0.8], [-0.95, 0.6, 0.1], [0.0, 0.0, 0.3]])


def _sampled(shots: int, repeats: int, seed: int, spread: float = 1.0) -> np.ndarray:
    """Estimates ``(P, R, n_obs)`` of ``EXACT`` from ``shots`` +-1 outcomes, their errors
    scaled by ``spread``."""
    rng = np.random.default_rng(seed)
    p = np.broadcast_to(((1 + EXACT) / 2)[:, None], (len(EXACT), repeats, EXACT.shape[1]))
    estimates = 2 * rng.binomial(shots, p) / shots - 1
    return EXACT[:, None] + spread * (estimates - EXACT[:, None])


@pytest.mark.parametrize("shots", [64, 4096])
def test_binomial_estimates_pass_and_inflated_or_biased_ones_fail(shots: int) -> None:
    alpha = 0.01 / 6
    fair = [shot_stats(_sampled(shots, 256, seed), EXACT, shots, alpha) for seed in range(5)]
    assert all(s.se_ok and s.bias_ok for s in fair)
    assert np.mean([s.se_ratio for s in fair]) == pytest.approx(1.0, abs=0.03)
    inflated = shot_stats(_sampled(shots, 256, 9, spread=1.2), EXACT, shots, alpha)
    assert not inflated.se_ok and inflated.se_ratio == pytest.approx(1.2, abs=0.05)
    se = np.sqrt((1 - EXACT**2) / shots / 256)  # of a mean over the repetitions
    biased = shot_stats(_sampled(shots, 256, 9) + 6 * se.mean(), EXACT, shots, alpha)
    assert biased.se_ok and not biased.bias_ok


def test_chi_square_quantiles_match_tabulated_values() -> None:
    assert chi_square_quantile(0.025, 100) == pytest.approx(74.222, rel=2e-3)
    assert chi_square_quantile(0.975, 100) == pytest.approx(129.561, rel=2e-3)
    assert chi_square_quantile(0.995, 1000) == pytest.approx(1118.948, rel=1e-3)


@pytest.mark.skipif(
    not (backend_entry("cirq").installed and backend_entry("ibm_runtime").installed),
    reason="needs qiskit_aer, a fake IBM device and cirq: pip install 'qrkt[all]'",
)
def test_quick_mode_agrees_with_one_over_sqrt_shots(tmp_path: Path) -> None:
    out = tmp_path / "shots.json"
    report = run_quick("shots", out)
    verdicts = {(a["case"], a["backend"]): a["agrees"] for a in report["agreement"]}
    for case in ("fixed", "layer"):
        assert verdicts[case, "qiskit_aer"] and verdicts[case, "cirq"]
    stats = [s for s in report["stats"] if s["backend"] in ("qiskit_aer", "cirq")]
    assert len(stats) == 2 * 2 * 2  # cases x backends x shot counts
    for s in stats:
        assert s["rms_error"] == pytest.approx(s["predicted_se"], rel=0.25), s
    noisy = [s for s in report["stats"] if s["noisy"]]
    assert noisy and all(s["bias_ok"] is None and s["se_ok"] for s in noisy)
    # The device's noise biases the estimates: far more than their spread at 1024 shots.
    assert all(max(map(abs, s["bias_z"])) > 5 for s in noisy if s["shots"] == 1024)
    device = report["settings"]["device"]
    assert max(device["readout_error"]) > 0.005
    assert [row["noise"] for row in report["accuracy"]] == [device["name"]]
    for row in report["accuracy"]:
        assert 0 <= row["accuracy"] <= 1 and 0 <= row["prediction_agreement"] <= 1
    for png in ("error", "accuracy"):
        assert (tmp_path / f"shots-{png}.png").stat().st_size > 0


def test_a_backend_agrees_only_if_every_shot_count_does() -> None:
    fair = shot_stats(_sampled(64, 64, 0), EXACT, 64, 0.01, case="c", backend="b")
    biased = shot_stats(_sampled(256, 64, 0) + 0.2, EXACT, 256, 0.01, case="c", backend="b")
    assert agreement([fair]) == {("c", "b"): True}
    assert agreement([fair, biased]) == {("c", "b"): False}
