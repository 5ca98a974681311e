"""Classification metrics against scikit-learn and closed-form cases."""

from __future__ import annotations

import numpy as np
import pytest

from qrkt.data import DataError
from qrkt.training.metrics import classification_metrics

metrics = pytest.importorskip("sklearn.metrics")


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _sklearn(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    predictions = probabilities.argmax(axis=1)
    if probabilities.shape[1] == 2:
        auc = metrics.roc_auc_score(labels, probabilities[:, 1])
    else:
        auc = metrics.roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")
    return {
        "accuracy": metrics.accuracy_score(labels, predictions),
        "f1": metrics.f1_score(labels, predictions, average="macro", zero_division=0),
        "auc": auc,
    }


@pytest.mark.parametrize("classes", [2, 3, 10])
@pytest.mark.parametrize("tied", [False, True], ids=["distinct", "tied"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scikit_learn(classes: int, tied: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, 200)
    labels[:classes] = np.arange(classes)  # every class present
    if tied:  # small integer weights: few distinct scores, many ties within each column
        weights = rng.integers(1, 4, (200, classes)) + np.eye(classes, dtype=int)[labels]
        probabilities = weights / weights.sum(axis=1, keepdims=True)
    else:
        probabilities = _softmax(rng.normal(size=(200, classes)) + 1.5 * np.eye(classes)[labels])
    result = classification_metrics(labels, probabilities)
    assert set(result) == {"accuracy", "f1", "auc"}
    assert all(type(value) is float for value in result.values())
    assert result == pytest.approx(_sklearn(labels, probabilities), abs=1e-12)


def test_class_absent_from_labels_is_skipped_in_the_auc() -> None:
    rng = np.random.default_rng(3)
    labels = rng.choice([0, 1, 3], 100)
    probabilities = _softmax(rng.normal(size=(100, 4)))
    per_class = [metrics.roc_auc_score(labels == k, probabilities[:, k]) for k in (0, 1, 3)]
    result = classification_metrics(labels, probabilities)
    assert result["auc"] == pytest.approx(np.mean(per_class), abs=1e-12)
    predictions = probabilities.argmax(axis=1)
    f1 = metrics.f1_score(labels, predictions, average="macro", zero_division=0)
    assert result["f1"] == pytest.approx(f1, abs=1e-12)


def test_closed_forms() -> None:
    labels = np.array([0, 1, 2, 2])
    perfect = np.eye(3)[labels]
    assert classification_metrics(labels, perfect) == {"accuracy": 1.0, "f1": 1.0, "auc": 1.0}
    uniform = np.full((4, 3), 1 / 3)  # every score tied: AUC 1/2; all predict class 0
    assert classification_metrics(labels, uniform) == pytest.approx(
        {"accuracy": 0.25, "f1": (2 / 5 + 0 + 0) / 3, "auc": 0.5}
    )
    reversed_ = np.array([[0.1, 0.9], [0.2, 0.8], [0.8, 0.2], [0.9, 0.1]])
    assert classification_metrics(np.array([0, 0, 1, 1]), reversed_) == {
        "accuracy": 0.0,
        "f1": 0.0,
        "auc": 0.0,
    }
    # one positive tied with one of two negatives, above the other: (1/2 + 1) / 2
    half_tied = np.array([[0.5, 0.5], [0.5, 0.5], [0.7, 0.3]])
    assert classification_metrics(np.array([1, 0, 0]), half_tied)["auc"] == 0.75


def test_single_class_labels_have_no_auc() -> None:
    result = classification_metrics(np.array([1, 1]), np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert result["accuracy"] == 0.5
    assert np.isnan(result["auc"])


@pytest.mark.parametrize(
    ("labels", "probabilities", "match"),
    [
        (np.zeros((2, 1), int), np.full((2, 2), 0.5), r"1-D array of integer .* shape \(2, 1\)"),
        (
            np.zeros(2),
            np.full((2, 2), 0.5),
            r"integer class indices; got shape \(2,\) and dtype float64",
        ),
        (np.zeros(2, int), np.full(2, 0.5), r"\(samples, classes\) array .* got shape \(2,\)"),
        (np.zeros(2, int), np.ones((2, 1)), r"two classes; got shape \(2, 1\)"),
        (np.zeros(0, int), np.ones((0, 2)), r"at least one sample .* got shape \(0, 2\)"),
        (np.zeros(3, int), np.full((2, 2), 0.5), r"got 3 labels but probabilities for 2 samples"),
        (
            np.array([0, 3]),
            np.full((2, 3), 0.5),
            r"labels range over 0..3, but probabilities has 3",
        ),
        (np.array([0, -1]), np.full((2, 3), 0.5), r"must lie in 0..2"),
        (
            np.array([0, 1]),
            np.array([[2.0, -1.0], [0.5, 0.5]]),
            r"from -1.0 to 2.0: apply a softmax",
        ),
        (np.array([0, 1]), np.array([[np.nan, 1.0], [0.5, 0.5]]), r"numbers in \[0, 1\]"),
    ],
)
def test_invalid_inputs(labels: np.ndarray, probabilities: np.ndarray, match: str) -> None:
    with pytest.raises(DataError, match=match):
        classification_metrics(labels, probabilities)
