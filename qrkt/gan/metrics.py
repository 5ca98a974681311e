"""FID, KID and IS with their exact formulas, on any features and class probabilities, and
two counts of a classifier's verdicts: how many images it recognises, how evenly over classes.

qrkt cannot load Inception weights (no network), so :mod:`qrkt.gan.evaluation` feeds these
the features and softmax of a classifier trained on the real data: the numbers are
classifier-based and never comparable with Inception-based scores.
"""

from __future__ import annotations

import numpy as np

from qrkt.errors import DataError

CONFIDENT = 0.9
"""The top class probability from which :func:`recognisable` counts an image."""


def symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The PSD square root of a symmetric PSD matrix, by ``eigh``; the tiny negative
    eigenvalues rounding leaves are clipped to 0 (no complex parts, unlike a general sqrtm)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(
    mean1: np.ndarray, covariance1: np.ndarray, mean2: np.ndarray, covariance2: np.ndarray
) -> float:
    """``||m1 - m2||² + Tr(S1 + S2 - 2 (S1^½ S2 S1^½)^½)``: the squared 2-Wasserstein distance
    of two Gaussians (``Tr (S1 S2)^½`` equals ``Tr (S1^½ S2 S1^½)^½``, a symmetric PSD root)."""
    root = symmetric_sqrt(covariance1)
    cross = np.trace(symmetric_sqrt(root @ covariance2 @ root))
    difference = np.asarray(mean1, np.float64) - mean2
    return float(
        difference @ difference + np.trace(covariance1) + np.trace(covariance2) - 2 * cross
    )


def fid(features1: np.ndarray, features2: np.ndarray) -> float:
    """The Fréchet distance of Gaussians fitted to two feature sets ``(N, d)``."""
    return frechet_distance(*_moments(features1), *_moments(features2))


def kid(
    features1: np.ndarray,
    features2: np.ndarray,
    *,
    subset_size: int = 1000,
    subsets: int = 100,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel inception distance: the unbiased MMD² with the kernel ``(x·y / d + 1)³``.

    Computed on ``subsets`` random subsets of ``subset_size`` rows of each set; returns the
    mean and standard deviation of the estimates. When a set has no more than ``subset_size``
    rows, its subsets would all be the whole set (two such sets: a deviation of 0), so the
    subsets have half the smaller set's rows instead (at least 2), and differ. The mean stays
    unbiased; the deviation is that of an estimate on half the rows, larger than that of one
    on all of them.
    """
    smaller = min(len(features1), len(features2))
    if smaller < 2:
        raise DataError(
            f"KID needs at least 2 feature rows per set, got {smaller}; pass more samples"
        )
    size = subset_size if smaller > subset_size else max(smaller // 2, 2)
    generator = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = features1[generator.choice(len(features1), size, replace=False)]
        y = features2[generator.choice(len(features2), size, replace=False)]
        values.append(_mmd2(np.asarray(x, np.float64), np.asarray(y, np.float64)))
    return float(np.mean(values)), float(np.std(values))


def inception_score(probabilities: np.ndarray, *, splits: int = 10) -> tuple[float, float]:
    """``exp(E_x KL(p(y|x) || p(y)))`` on each of ``splits`` equal parts of ``(N, C)``
    class probabilities (N parts of one where N < ``splits``); returns the mean and standard
    deviation over the parts."""
    probabilities = _checked(probabilities)
    scores = []
    for part in np.array_split(probabilities, min(splits, len(probabilities))):
        marginal = part.mean(axis=0, keepdims=True)
        terms = part * (np.log(np.clip(part, 1e-30, None)) - np.log(np.clip(marginal, 1e-30, None)))
        scores.append(np.exp(terms.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def recognisable(probabilities: np.ndarray, *, threshold: float = CONFIDENT) -> float:
    """The fraction of ``(N, C)`` class probabilities whose top class has at least
    ``threshold``: the images the classifier recognises as one class."""
    if not 0 < threshold <= 1:
        raise DataError(
            f"the threshold of recognisable must be a probability in (0, 1], got {threshold}; "
            f"pass one such as the default, {CONFIDENT}"
        )
    return float(np.mean(_checked(probabilities).max(axis=1) >= threshold))


def class_coverage(probabilities: np.ndarray) -> tuple[float, int]:
    """How evenly the top classes of ``(N, C)`` class probabilities spread over the C classes:
    the entropy of their histogram divided by ``log C`` (1: every class equally often, 0: one
    class only), and how many classes occur at all."""
    probabilities = _checked(probabilities)
    classes = probabilities.shape[1]
    if classes < 2:
        raise DataError(f"class coverage needs at least 2 classes, got probabilities of {classes}")
    counts = np.bincount(probabilities.argmax(axis=1), minlength=classes)
    shares = counts[counts > 0] / len(probabilities)
    return float((shares * np.log(1 / shares)).sum() / np.log(classes)), len(shares)


def _checked(probabilities: np.ndarray) -> np.ndarray:
    """``probabilities`` as float64, checked to be ``(N, C)`` with N >= 1."""
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.ndim != 2 or not len(probabilities):
        raise DataError(
            f"class probabilities must be an (N, C) array with N >= 1, got shape "
            f"{probabilities.shape}; pass the classifier's softmax of N images"
        )
    return probabilities


def _moments(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _mmd2(x: np.ndarray, y: np.ndarray) -> float:
    n, dimension = x.shape

    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a @ b.T / dimension + 1) ** 3

    within_x, within_y = kernel(x, x), kernel(y, y)
    off_diagonal = within_x.sum() - np.trace(within_x) + within_y.sum() - np.trace(within_y)
    return float(off_diagonal / (n * (n - 1)) - 2 * kernel(x, y).mean())
