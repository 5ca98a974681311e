import numpy as np

from qrkt.backends.readout import z_sign_matrix
from qrkt.circuits.ir import PauliString, circuit, h, z


def test_sign_matrix_uses_qubit_zero_as_most_significant_bit() -> None:
    zz = PauliString(((0, "Z"), (1, "Z")))
    signs = z_sign_matrix(circuit(2, [h(0)], observables=[z(0), z(1), zz]))
    np.testing.assert_array_equal(signs, [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
