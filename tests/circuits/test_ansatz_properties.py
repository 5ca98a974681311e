"""Properties of the thesis circuit that users choosing layers should know (README)."""

import numpy as np
import pytest

from qrkt.backends.reference import ReferenceBackend, rotation
from qrkt.circuits.ansatz import qrkt_ansatz

PAULI_X = np.array([[0, 1], [1, 0]])


def single_qubit_x(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``<X>`` of ``RZ(w) RX(w) RY(x) |0>`` per sample and qubit."""
    state = rotation("z", w) @ rotation("x", w) @ rotation("y", x)[..., :, 0:1]
    return np.real(np.conj(state).swapaxes(-1, -2) @ PAULI_X @ state)[..., 0, 0]


@pytest.mark.parametrize("n", [3, 4, 6, 7])
def test_one_layer_readout_is_a_product_of_single_qubit_values(n: int) -> None:
    rng = np.random.default_rng(n)
    x, w = rng.uniform(-3, 3, (5, n)), rng.uniform(-3, 3, n)
    predicted = single_qubit_x(x, np.broadcast_to(w, x.shape))
    predicted[:, 0] *= predicted[:, n - 1]
    np.testing.assert_allclose(ReferenceBackend().run(qrkt_ansatz(n), x, w), predicted, atol=1e-12)


def test_two_layers_are_not_a_product_of_single_qubit_values() -> None:
    n = 4
    rng = np.random.default_rng(0)
    x, w = rng.uniform(-3, 3, (5, n)), rng.uniform(-3, 3, 2 * n)
    predicted = single_qubit_x(x, np.broadcast_to(w[:n], x.shape))
    predicted[:, 0] *= predicted[:, n - 1]
    values = ReferenceBackend().run(qrkt_ansatz(n, 2), x, w)
    assert np.max(np.abs(values - predicted)) > 0.1
