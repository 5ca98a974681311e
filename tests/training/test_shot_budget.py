"""Choosing the fewest shots that keep a model's exact predictions."""

import pytest

from qrkt import pretrained
from qrkt.data import load_dataset
from qrkt.errors import TrainingError
from qrkt.training.shot_budget import CANDIDATES, choose_shots


@pytest.fixture(scope="module")
def model_and_samples():
    model = pretrained.load("digits-qrk1")
    validation = load_dataset("digits").validation
    return model, validation.inputs[:40], validation.labels[:40]


def test_the_fewest_shots_that_keep_the_predictions_are_chosen(model_and_samples) -> None:
    model, inputs, labels = model_and_samples
    choice = choose_shots(model.model, model.params, inputs, labels, agreement=0.95, repeats=2)
    assert choice.met and choice.shots in CANDIDATES
    counts = [shots for shots, _ in choice.measured]
    assert counts == list(CANDIDATES[: len(counts)]) and counts[-1] == choice.shots
    assert choice.measured[-1][1] >= 0.95
    assert all(agreement < 0.95 for _, agreement in choice.measured[:-1])
    again = choose_shots(model.model, model.params, inputs, labels, agreement=0.95, repeats=2)
    assert again == choice  # the draws do not depend on the order XLA runs the callbacks in
    assert "shots per circuit, the fewest that keep 95.0% of 40 exact predictions" in (
        choice.report()
    )


def test_a_bad_agreement_target_is_refused(model_and_samples) -> None:
    model, inputs, labels = model_and_samples
    with pytest.raises(TrainingError, match=r"agreement target must be in \(0, 1\], got 1.5"):
        choose_shots(model.model, model.params, inputs, labels, agreement=1.5)
