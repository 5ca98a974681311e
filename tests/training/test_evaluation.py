from pathlib import Path

import jax
import numpy as np
import pytest

from qrkt.errors import CheckpointError, TrainingError
from qrkt.presets import build_model, example_inputs, get_preset
from qrkt.training import TrainConfig, evaluate, save_checkpoint


def _best(workdir: Path, params: dict) -> None:
    preset = get_preset("digits-rk1")
    metadata = {
        "preset": preset.name,
        "model": preset.model.to_dict(),
        "train_config": TrainConfig(preset=preset.name, dataset="digits").to_dict(),
        "epoch": 1,
    }
    save_checkpoint(workdir / "checkpoints" / "best.ckpt", {"params": params}, metadata)


def test_an_unknown_split_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        TrainingError, match="unknown split 'train'; choose one of: validation, test"
    ):
        evaluate(tmp_path, split="train")


def test_limit_and_batch_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="limit must be an integer >= 1, got 0"):
        evaluate(tmp_path, limit=0)
    with pytest.raises(TrainingError, match="batch_size must be an integer >= 1, got -2"):
        evaluate(tmp_path, batch_size=-2)


def test_a_dataset_without_a_test_split_says_so(tmp_path: Path) -> None:
    config = get_preset("digits-rk1").model
    _best(
        tmp_path, build_model(config).init(jax.random.PRNGKey(0), example_inputs(config))["params"]
    )
    with pytest.raises(TrainingError) as error:
        evaluate(tmp_path, split="test")
    assert str(error.value) == (
        "the digits dataset has no test split (its source has no test files); evaluate --split "
        "validation, or give a --data-dir that holds the test files"
    )


def test_parameters_that_do_not_fit_the_stored_model_are_refused(tmp_path: Path) -> None:
    _best(tmp_path, {"dense": {"kernel": np.zeros((2, 2), np.float32)}})
    with pytest.raises(CheckpointError, match="does not fit this model: its 'params' tree differs"):
        evaluate(tmp_path)
