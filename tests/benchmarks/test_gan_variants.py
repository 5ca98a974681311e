"""``python -m benchmarks.gan_variants --quick`` trains two variants for seconds each and
scores them as they train."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gan_variants import _variant
from qrkt.gan import GanTrainConfig
from tests.benchmarks.quick import run_quick


def test_the_quick_variants_train_for_their_time_and_are_scored_as_they_go(
    tmp_path: Path,
) -> None:
    report = run_quick("gan_variants", tmp_path / "variants.json")
    assert report["preset"] == "digits-transgan" and "classifier-based" in report["metrics"]
    assert report["floor"]["classes_present"] == 10
    base, class_token = report["variants"]
    assert (base["variant"], class_token["changes"]) == (
        "base",
        {"critic_readout": "class_token"},
    )
    for variant in report["variants"]:
        trajectory = variant["trajectory"]
        assert len(trajectory) == 2  # scored every 2 s of 4 s of training
        assert 2 <= trajectory[0]["seconds"] < 4 <= trajectory[1]["seconds"]
        assert 0 < trajectory[0]["step"] < trajectory[1]["step"]
        assert all(point["fid"] > report["floor"]["fid"] for point in trajectory)


def test_a_variant_splits_its_changes_between_the_architecture_and_the_recipe() -> None:
    model, config = _variant(
        "digits-qgan", "v", {"depths": [1], "learning_rate": 1e-3, "loss": "wgan-gp-eps"}, None
    )
    assert model.depths == (1,) and model.circuit is not None
    assert (config.learning_rate, config.loss, config.dataset) == (1e-3, "wgan-gp-eps", "digits")
    # Unchanged settings are train-gan's defaults, not those of runs stored before they existed.
    assert _variant("digits-qgan", "v", {}, None)[1] == GanTrainConfig(
        preset="digits-qgan", dataset="digits"
    )
    with pytest.raises(SystemExit, match="variant 'v' changes colour, which is no field"):
        _variant("digits-qgan", "v", {"colour": 1}, None)
