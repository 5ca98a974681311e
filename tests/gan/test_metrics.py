import numpy as np
import pytest

from qrkt.errors import DataError
from qrkt.gan.metrics import (
    class_coverage,
    fid,
    frechet_distance,
    inception_score,
    kid,
    recognisable,
    symmetric_sqrt,
)


def _covariance(seed: int, dimension: int) -> np.ndarray:
    factor = np.random.default_rng(seed).normal(size=(dimension, dimension))
    return factor @ factor.T + 0.1 * np.eye(dimension)


def test_symmetric_sqrt_squares_to_the_matrix_and_is_symmetric() -> None:
    matrix = _covariance(0, 5)
    root = symmetric_sqrt(matrix)
    np.testing.assert_allclose(root @ root, matrix, atol=1e-10)
    np.testing.assert_allclose(root, root.T)
    assert np.linalg.eigvalsh(root).min() > 0


def test_symmetric_sqrt_of_a_rank_deficient_matrix_is_real() -> None:
    vector = np.array([[1.0, 2.0, 3.0]])
    root = symmetric_sqrt(vector.T @ vector)  # eigenvalues 14, 0, 0 (and rounding)
    assert root.dtype == np.float64
    np.testing.assert_allclose(root @ root, vector.T @ vector, atol=1e-10)


def test_frechet_distance_of_commuting_gaussians() -> None:
    # Diagonal covariances: ||m1 - m2||² + Σ (sqrt(a_i) - sqrt(b_i))².
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    mean1, mean2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = 5.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mean1, np.diag(a), mean2, np.diag(b)) == pytest.approx(expected)


def test_frechet_distance_of_non_commuting_gaussians() -> None:
    # 2x2: Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)) for PSD M, and det(S1 S2) = det S1 det S2.
    s1 = np.array([[2.0, 0.5], [0.5, 1.0]])
    s2 = np.array([[1.0, -0.7], [-0.7, 3.0]])
    trace_root = np.sqrt(np.trace(s1 @ s2) + 2 * np.sqrt(np.linalg.det(s1) * np.linalg.det(s2)))
    expected = 1.0 + np.trace(s1) + np.trace(s2) - 2 * trace_root
    distance = frechet_distance(np.zeros(2), s1, np.array([1.0, 0.0]), s2)
    assert distance == pytest.approx(expected, rel=1e-12)
    assert frechet_distance(np.zeros(2), s1, np.zeros(2), s1) == pytest.approx(0, abs=1e-12)


def test_fid_of_samples_approaches_the_closed_form() -> None:
    rng = np.random.default_rng(0)
    s1, s2 = _covariance(1, 4), _covariance(2, 4)
    mean2 = np.array([1.0, -1.0, 0.5, 0.0])
    x = rng.multivariate_normal(np.zeros(4), s1, size=200_000)
    y = rng.multivariate_normal(mean2, s2, size=200_000)
    expected = frechet_distance(np.zeros(4), s1, mean2, s2)
    assert fid(x, y) == pytest.approx(expected, rel=0.02)


def test_inception_score_of_uniform_and_one_hot_classifiers() -> None:
    assert inception_score(np.full((100, 10), 0.1), splits=1) == pytest.approx((1.0, 0.0))
    one_hot = np.eye(10)[np.arange(100) % 10]
    assert inception_score(one_hot, splits=1) == pytest.approx((10.0, 0.0))
    # All samples confidently one class: p(y|x) = p(y), the score is 1.
    assert inception_score(np.eye(10)[np.zeros(50, int)], splits=5)[0] == pytest.approx(1.0)


def _direct_kid(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased MMD² of all rows, term by term."""
    n, dimension = x.shape

    def k(a, b):
        return (a @ b / dimension + 1) ** 3

    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    within = sum(k(x[i], x[j]) + k(y[i], y[j]) for i, j in pairs) / len(pairs)
    return within - 2 * sum(k(a, b) for a in x for b in y) / n**2


def test_kid_of_two_rows_is_the_direct_computation() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 3)), rng.normal(1.0, size=(2, 3))
    # Subsets of at least 2 rows: every one is the whole set.
    assert kid(x, y) == pytest.approx((_direct_kid(x, y), 0.0))


def test_kid_of_small_sets_spreads_over_half_subsets_around_the_direct_computation() -> None:
    """Issue 19: sets no larger than subset_size gave one subset, all rows, and a spread of 0.
    Subsets of half the rows differ; their mean is still the all-rows estimate (each pair of
    rows is as likely in a subset as any other)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3)), rng.normal(1.0, size=(6, 3))
    mean, spread = kid(x, y, subsets=4000)
    assert spread > 0.1 * abs(mean)
    assert mean == pytest.approx(_direct_kid(x, y), abs=4 * spread / np.sqrt(4000))
    assert kid(x, y)[1] > 0  # the default 100 subsets


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3000, 8)), rng.normal(size=(3000, 8))
    same, spread = kid(x, y, subset_size=500, subsets=20)
    assert abs(same) < 3 * spread + 1e-3
    assert kid(x, y + 0.5, subset_size=500, subsets=20)[0] > 0.1


def test_kid_needs_two_rows() -> None:
    with pytest.raises(DataError, match="at least 2 feature rows per set, got 1"):
        kid(np.zeros((1, 3)), np.zeros((5, 3)))


def test_inception_score_of_fewer_rows_than_splits_is_finite() -> None:
    one_hot = np.eye(10)[np.arange(4)]
    assert inception_score(one_hot) == pytest.approx((1.0, 0.0))  # 4 parts of one image


def test_recognisable_counts_top_probabilities_from_the_threshold_on() -> None:
    probabilities = np.array([[0.9, 0.1], [0.89, 0.11], [0.5, 0.5], [0.05, 0.95]])
    assert recognisable(probabilities) == 0.5  # 0.9 itself counts
    assert recognisable(probabilities, threshold=0.95) == 0.25
    assert recognisable(probabilities, threshold=0.5) == 1.0
    assert recognisable(np.full((3, 10), 0.1)) == 0.0


def test_class_coverage_is_the_normalised_entropy_of_the_top_classes() -> None:
    assert class_coverage(np.eye(10)[np.zeros(50, int)]) == (0.0, 1)  # one class only
    coverage, present = class_coverage(np.eye(10)[np.arange(100) % 10])
    assert (coverage, present) == (pytest.approx(1.0), 10)  # every class equally often
    # Two of four classes, equally often: log 2 / log 4. Only the top class counts.
    probabilities = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
    assert class_coverage(probabilities) == (pytest.approx(0.5), 2)
    # 3 of class 0, 1 of class 1, out of 2 classes: the binary entropy of 1/4.
    expected = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25)) / np.log(2)
    assert class_coverage(np.eye(2)[[0, 0, 0, 1]]) == (pytest.approx(expected), 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: recognisable(np.eye(2), threshold=0),
            "the threshold of recognisable must be a probability in (0, 1], got 0; pass one "
            "such as the default, 0.9",
        ),
        (
            lambda: recognisable(np.ones(3)),
            "class probabilities must be an (N, C) array with N >= 1, got shape (3,); pass the "
            "classifier's softmax of N images",
        ),
        (
            lambda: class_coverage(np.ones((3, 1))),
            "class coverage needs at least 2 classes, got probabilities of 1",
        ),
    ],
)
def test_the_classifier_counts_refuse_what_they_cannot_count(call, message: str) -> None:
    with pytest.raises(DataError) as error:
        call()
    assert str(error.value) == message
