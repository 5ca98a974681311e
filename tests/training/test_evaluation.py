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


def test_a_checkpoint_whose_model_is_not_its_presets_is_refused(tmp_path: Path) -> None:
    """Issue 18, item 3: an edited version 1 header (no metadata checksum) with another
    ansatz is not evaluated as another model."""
    import json

    from qrkt.training.checkpoint import MAGIC

    preset = get_preset("digits-qrk1")
    path = tmp_path / "checkpoints" / "best.ckpt"
    save_checkpoint(
        path,
        {"params": {}},
        {
            "preset": preset.name,
            "model": preset.model.to_dict(),
            "train_config": TrainConfig(preset=preset.name, dataset="digits").to_dict(),
            "epoch": 1,
        },
    )
    data = path.read_bytes()
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC) : end])
    header["version"] = 1
    header["metadata"]["model"]["circuit"]["ansatz"] = "cara"
    path.write_bytes(MAGIC + json.dumps(header).encode() + data[end:])
    with pytest.raises(CheckpointError) as error:
        evaluate(tmp_path)
    assert str(error.value) == (
        f"checkpoint {path} holds preset 'digits-qrk1' and cannot load into preset "
        "'digits-qrk1': their model configurations differ in circuit: {'ansatz': 'cara', "
        "'layers': 1, 'tied': True} vs {'ansatz': 'qrkt', 'layers': 1, 'tied': True} "
        "(checkpoint vs requested); use the checkpoint's preset 'digits-qrk1', or another work "
        "directory"
    )
