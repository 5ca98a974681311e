import numpy as np
import pytest

from qrkt.errors import DataError
from qrkt.gan.metrics import fid, frechet_distance, inception_score, kid, symmetric_sqrt


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


def test_kid_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3)), rng.normal(1.0, size=(6, 3))

    def k(a, b):
        return (a @ b / 3 + 1) ** 3

    pairs = [(i, j) for i in range(6) for j in range(6) if i != j]
    expected = (
        sum(k(x[i], x[j]) + k(y[i], y[j]) for i, j in pairs) / 30
        - 2 * sum(k(a, b) for a in x for b in y) / 36
    )
    assert kid(x, y) == pytest.approx((expected, 0.0))


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3000, 8)), rng.normal(size=(3000, 8))
    same, spread = kid(x, y, subset_size=500, subsets=20)
    assert abs(same) < 3 * spread + 1e-3
    assert kid(x, y + 0.5, subset_size=500, subsets=20)[0] > 0.1


def test_kid_needs_two_rows() -> None:
    with pytest.raises(DataError, match="at least 2 feature rows per set, got 1"):
        kid(np.zeros((1, 3)), np.zeros((5, 3)))
