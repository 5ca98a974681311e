"""Classification metrics from labels and predicted class probabilities, in numpy only."""

from __future__ import annotations

import numpy as np

from qrkt.errors import DataError


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Accuracy, macro F1 and macro one-vs-rest ROC AUC of predicted class probabilities.

    The predicted class is the most probable one. Macro F1 averages over the classes that occur
    in ``labels`` or in the predictions, as scikit-learn's ``f1_score(average="macro")`` does.
    The AUC of class ``k`` ranks ``probabilities[:, k]`` of its samples against the others'
    (Mann-Whitney, a tie counting one half); a class absent from ``labels`` has no AUC and is
    skipped, so the macro AUC averages the classes present, and is NaN when ``labels`` holds a
    single class. With every class present it equals scikit-learn's
    ``roc_auc_score(multi_class="ovr", average="macro")``.

    Args:
      labels: ``(N,)`` integer class indices in ``[0, C)``.
      probabilities: ``(N, C)`` class probabilities in ``[0, 1]`` (e.g. a softmax).

    Returns:
      ``{"accuracy": ..., "f1": ..., "auc": ...}`` as Python floats.
    """
    labels, probabilities = _check(labels, probabilities)
    predictions = probabilities.argmax(axis=1)
    return {
        "accuracy": float(np.mean(predictions == labels)),
        "f1": _macro_f1(labels, predictions, probabilities.shape[1]),
        "auc": _macro_auc(labels, probabilities),
    }


def _check(labels: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels, probabilities = np.asarray(labels), np.asarray(probabilities)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(
            f"labels must be a 1-D array of integer class indices; got shape {labels.shape} and "
            f"dtype {labels.dtype}"
        )
    if probabilities.ndim != 2 or probabilities.shape[1] < 2 or len(probabilities) < 1:
        raise DataError(
            f"probabilities must be a (samples, classes) array with at least one sample and two "
            f"classes; got shape {probabilities.shape}"
        )
    if len(labels) != len(probabilities):
        raise DataError(
            f"got {len(labels)} labels but probabilities for {len(probabilities)} samples; pass "
            "one row of probabilities per label"
        )
    classes = probabilities.shape[1]
    if labels.min() < 0 or labels.max() >= classes:
        raise DataError(
            f"labels range over {labels.min()}..{labels.max()}, but probabilities has {classes} "
            f"columns, so labels must lie in 0..{classes - 1}"
        )
    if not np.issubdtype(probabilities.dtype, np.number) or not (
        np.all(probabilities >= 0) and np.all(probabilities <= 1)
    ):
        raise DataError(
            f"probabilities must be numbers in [0, 1]; got dtype {probabilities.dtype}, values "
            f"from {probabilities.min()} to {probabilities.max()}: apply a softmax to logits first"
        )
    return labels, probabilities


def _macro_f1(labels: np.ndarray, predictions: np.ndarray, classes: int) -> float:
    true_count = np.bincount(labels, minlength=classes)
    predicted_count = np.bincount(predictions, minlength=classes)
    hits = np.bincount(labels[labels == predictions], minlength=classes)
    seen = true_count + predicted_count > 0  # 2 TP + FP + FN > 0
    return float(np.mean(2 * hits[seen] / (true_count + predicted_count)[seen]))


def _macro_auc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    aucs = []
    for k in range(probabilities.shape[1]):
        positive = labels == k
        n_positive = int(positive.sum())
        n_negative = len(labels) - n_positive
        if n_positive and n_negative:
            positive_rank_sum = _average_ranks(probabilities[:, k])[positive].sum()
            u = positive_rank_sum - n_positive * (n_positive + 1) / 2
            aucs.append(u / (n_positive * n_negative))
    return float(np.mean(aucs)) if aucs else float("nan")


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks of ``scores``, tied scores sharing the mean of their ranks."""
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat((starts + 1 + ends) / 2, ends - starts)
    return ranks
