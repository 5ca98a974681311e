"""FID, KID and IS with their exact formulas, on any features and class probabilities.

qrkt cannot load Inception weights (no network), so :mod:`qrkt.gan.evaluation` feeds these
the features and softmax of a classifier trained on the real data: the numbers are
classifier-based and never comparable with Inception-based scores.
"""

from __future__ import annotations

import numpy as np

from qrkt.errors import DataError


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

    Computed on ``subsets`` random subsets of ``min(subset_size, N1, N2)`` rows of each set
    (once on all rows when both sets are that small); returns the mean and standard deviation.
    """
    size = min(subset_size, len(features1), len(features2))
    if size < 2:
        raise DataError(f"KID needs at least 2 feature rows per set, got {size}; pass more samples")
    generator = np.random.default_rng(seed)
    everything = size == len(features1) == len(features2)
    values = []
    for _ in range(1 if everything else subsets):
        x = features1[generator.choice(len(features1), size, replace=False)]
        y = features2[generator.choice(len(features2), size, replace=False)]
        values.append(_mmd2(np.asarray(x, np.float64), np.asarray(y, np.float64)))
    return float(np.mean(values)), float(np.std(values))


def inception_score(probabilities: np.ndarray, *, splits: int = 10) -> tuple[float, float]:
    """``exp(E_x KL(p(y|x) || p(y)))`` on each of ``splits`` equal parts of ``(N, C)``
    class probabilities; returns the mean and standard deviation over the parts."""
    scores = []
    for part in np.array_split(np.asarray(probabilities, np.float64), splits):
        marginal = part.mean(axis=0, keepdims=True)
        terms = part * (np.log(np.clip(part, 1e-30, None)) - np.log(np.clip(marginal, 1e-30, None)))
        scores.append(np.exp(terms.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


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
