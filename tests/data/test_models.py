"""A dataset for a model: checked to fit it, with the validation split every run shares."""

import numpy as np
import pytest

from qrkt.data import SPLIT_SEED, load_dataset, load_for_model
from qrkt.errors import TrainingError
from qrkt.presets import get_preset


def test_a_dataset_that_does_not_fit_the_preset_is_refused() -> None:
    with pytest.raises(TrainingError) as error:
        load_for_model(get_preset("mnist-rk1").model, "digits", None)
    assert str(error.value) == (
        "the digits dataset (10 classes, inputs (8, 8, 1)) does not fit the model (10 classes, "
        "inputs (28, 28, 1)); choose a preset made for digits (qrkt presets lists them)"
    )


def test_every_run_sees_the_validation_split_of_the_split_seed() -> None:
    dataset = load_for_model(get_preset("digits-rk1").model, "digits", None)
    expected = load_dataset("digits", seed=SPLIT_SEED).validation
    np.testing.assert_array_equal(dataset.validation.labels, expected.labels)
    np.testing.assert_array_equal(dataset.validation.inputs, expected.inputs)
