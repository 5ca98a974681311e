"""The ansätze of REFERENCE §1: exact gate sequences, weight counts and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import (
    ANSATZE,
    AnsatzSpec,
    build_ansatz,
    cara_ansatz,
    qrkt_ansatz,
    ring_entangler,
)
from qrkt.circuits.ir import (
    Circuit,
    Gate,
    ParamKind,
    cnot,
    h,
    input_param,
    rx,
    ry,
    rz,
    weight_param,
    z,
)
from qrkt.errors import CircuitError, UnknownNameError

x, w = input_param, weight_param


def _qrkt_rotations(n: int, layer: int = 0) -> list[Gate]:
    """The tied rotation layer: RX(w) then RZ(w) with the same weight on each qubit."""
    return [g for j in range(n) for g in (rx(j, w(layer * n + j)), rz(j, w(layer * n + j)))]


def _entangler_kinds(c: Circuit) -> list[Gate]:
    return [g for g in c.gates if g.name in ("h", "cnot")]


# --- the thesis ansatz ------------------------------------------------------------------------


def test_qrkt_n1_is_encoding_and_rotations_without_entangler() -> None:
    c = qrkt_ansatz(1)
    assert c.gates == (ry(0, x(0)), rx(0, w(0)), rz(0, w(0)))
    assert (c.n_qubits, c.n_inputs, c.n_weights) == (1, 1, 1)
    assert c.observables == (z(0),)


def test_qrkt_n2_entangler_is_a_single_cnot_without_h() -> None:
    c = qrkt_ansatz(2)
    assert c.gates == (ry(0, x(0)), ry(1, x(1)), *_qrkt_rotations(2), cnot(0, 1))


def test_qrkt_n3_entangler_is_h_then_cnot_around_the_ring() -> None:
    c = qrkt_ansatz(3)
    encoding = [ry(j, x(j)) for j in range(3)]
    ring = [h(0), cnot(0, 1), h(1), cnot(1, 2), h(2), cnot(2, 0)]
    assert c.gates == (*encoding, *_qrkt_rotations(3), *ring)
    assert c.observables == (z(0), z(1), z(2))


def test_qrkt_two_layers_repeat_rotations_and_entangler_with_fresh_weights() -> None:
    c = qrkt_ansatz(3, 2)
    ring = [h(0), cnot(0, 1), h(1), cnot(1, 2), h(2), cnot(2, 0)]
    encoding = [ry(j, x(j)) for j in range(3)]
    assert c.gates == (*encoding, *_qrkt_rotations(3, 0), *ring, *_qrkt_rotations(3, 1), *ring)
    assert c.n_weights == 6


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_weight_counts_tied_and_untied(n: int, layers: int) -> None:
    assert qrkt_ansatz(n, layers, tied=True).n_weights == n * layers
    assert qrkt_ansatz(n, layers, tied=False).n_weights == 2 * n * layers
    assert cara_ansatz(n, layers).n_weights == n * layers
    for c in (qrkt_ansatz(n, layers), qrkt_ansatz(n, layers, tied=False), cara_ansatz(n, layers)):
        assert c.n_inputs == n
        # every declared weight is used by some gate
        assert {p.index for p in c.params(ParamKind.WEIGHT)} == set(range(c.n_weights))


def test_tied_uses_the_same_weight_in_rx_and_rz() -> None:
    c = qrkt_ansatz(3, 2, tied=True)
    for j in range(3):
        for layer in range(2):
            gates = [g for g in c.gates if g.qubits == (j,) and g.param == w(layer * 3 + j)]
            assert [g.name for g in gates] == ["rx", "rz"]


def test_untied_layout_is_layer_qubit_then_rx_rz() -> None:
    c = qrkt_ansatz(2, 2, tied=False)
    rotations = [g for g in c.gates if g.name in ("rx", "rz")]
    expected = [
        Gate(name, (j,), w(2 * (layer * 2 + j) + offset))
        for layer in range(2)
        for j in range(2)
        for offset, name in enumerate(("rx", "rz"))
    ]
    assert rotations == expected
    assert len({g.param for g in rotations}) == 8


# --- the Comajoan Cara ansatz -----------------------------------------------------------------


def test_cara_n1_is_two_rx_rotations() -> None:
    assert cara_ansatz(1).gates == (rx(0, x(0)), rx(0, w(0)))


def test_cara_n2_uses_rx_encoding_rx_weights_and_one_cnot() -> None:
    c = cara_ansatz(2)
    assert c.gates == (rx(0, x(0)), rx(1, x(1)), rx(0, w(0)), rx(1, w(1)), cnot(0, 1))


def test_cara_n3_ring_has_no_hadamard() -> None:
    c = cara_ansatz(3, 2)
    layer = lambda i: [rx(j, w(3 * i + j)) for j in range(3)]  # noqa: E731
    ring = [cnot(0, 1), cnot(1, 2), cnot(2, 0)]
    assert c.gates == (*(rx(j, x(j)) for j in range(3)), *layer(0), *ring, *layer(1), *ring)
    assert not any(g.name in ("h", "ry", "rz") for g in c.gates)


def test_cara_ignores_tied() -> None:
    assert cara_ansatz(3, 2, tied=False) == cara_ansatz(3, 2, tied=True)


@pytest.mark.parametrize(("n", "expected"), [(1, []), (2, [cnot(0, 1)])])
def test_ring_entangler_small_widths_have_no_h(n: int, expected: list[Gate]) -> None:
    assert ring_entangler(n, hadamard=True) == expected
    assert ring_entangler(n, hadamard=False) == expected


def test_ring_entangler_wraps_around() -> None:
    assert ring_entangler(4, hadamard=False) == [cnot(0, 1), cnot(1, 2), cnot(2, 3), cnot(3, 0)]


# --- names and specs --------------------------------------------------------------------------


def test_build_ansatz_by_name_matches_the_builders() -> None:
    assert set(ANSATZE) == {"qrkt", "cara"}
    assert build_ansatz("qrkt", 3, 2, tied=False) == qrkt_ansatz(3, 2, tied=False)
    assert build_ansatz("cara", 4) == cara_ansatz(4)
    assert AnsatzSpec("qrkt", 3, 2).build() == qrkt_ansatz(3, 2)
    assert AnsatzSpec() == AnsatzSpec("qrkt", 4, 1, True)


def test_ansatz_spec_is_a_hashable_value() -> None:
    assert {AnsatzSpec("cara", 2): 1}[AnsatzSpec("cara", 2)] == 1


@pytest.mark.parametrize("build", [lambda: AnsatzSpec("vqe", 2), lambda: build_ansatz("vqe", 2)])
def test_unknown_ansatz_lists_known_ones(build: object) -> None:
    with pytest.raises(UnknownNameError, match=r"unknown ansatz 'vqe'; known ansätze: cara, qrkt"):
        build()  # type: ignore[operator]


@pytest.mark.parametrize("name", ["qrkt", "cara"])
@pytest.mark.parametrize(
    ("n", "layers", "message"),
    [
        (0, 1, r"n_qubits must be an integer >= 1, got 0"),
        (-2, 1, r"n_qubits must be an integer >= 1, got -2"),
        (2.0, 1, r"n_qubits must be an integer >= 1, got 2\.0"),
        (True, 1, r"n_qubits must be an integer >= 1, got True"),
        (2, 0, r"layers must be an integer >= 1, got 0"),
        (2, 1.5, r"layers must be an integer >= 1, got 1\.5"),
    ],
)
def test_bad_width_or_layers_rejected(name: str, n: object, layers: object, message: str) -> None:
    with pytest.raises(CircuitError, match=message):
        build_ansatz(name, n, layers)  # type: ignore[arg-type]
    with pytest.raises(CircuitError, match=message):
        AnsatzSpec(name, n, layers)  # type: ignore[arg-type]


def test_numpy_integer_width_is_accepted() -> None:
    """Widths often come from NumPy arrays or configs; the IR itself accepts NumPy integers."""
    assert build_ansatz("qrkt", np.int64(3), np.int64(2)) == qrkt_ansatz(3, 2)


# --- closed forms -----------------------------------------------------------------------------

GRID = np.linspace(-3.0, 3.0, 7)


@pytest.mark.parametrize("weight", [-2.5, 0.0, 0.4, 1.9])
def test_qrkt_n1_closed_form(weight: float) -> None:
    values = ReferenceBackend().run(qrkt_ansatz(1), GRID[:, None], [weight])
    np.testing.assert_allclose(values[:, 0], np.cos(GRID) * np.cos(weight), atol=1e-12)


@pytest.mark.parametrize("weight", [-2.5, 0.0, 0.4, 1.9])
def test_cara_n1_closed_form(weight: float) -> None:
    values = ReferenceBackend().run(cara_ansatz(1), GRID[:, None], [weight])
    np.testing.assert_allclose(values[:, 0], np.cos(GRID + weight), atol=1e-12)
