"""Conversion to and from Qiskit circuits, parameter binding by slot, and Pauli labels."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import numpy as np
import pytest

from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits.ansatz import build_ansatz, qrkt_ansatz
from qrkt.circuits.ir import (
    Circuit,
    Gate,
    ParamKind,
    PauliString,
    circuit,
    cnot,
    h,
    input_param,
    rx,
    weight_param,
    z,
)
from qrkt.circuits.qiskit_convert import (
    from_qiskit,
    observables_to_sparse_pauli,
    parameter_slots,
    parameter_values,
    parse_parameter_name,
    require_qiskit,
    to_qiskit,
)
from qrkt.errors import CircuitError, MissingDependencyError


@pytest.fixture
def qiskit() -> ModuleType:
    return pytest.importorskip("qiskit")


def random_circuit(seed: int) -> Circuit:
    """A random circuit of every gate kind, with constants, repeated weights and unused slots."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5))
    n_inputs, n_weights = int(rng.integers(1, 4)), int(rng.integers(1, 13))
    gates: list[Gate] = []
    for _ in range(int(rng.integers(0, 20))):
        name = str(rng.choice(["rx", "ry", "rz", "h", "cnot"]))
        if name == "cnot" and n > 1:
            control, target = rng.choice(n, size=2, replace=False)
            gates.append(cnot(int(control), int(target)))
        elif name in ("h", "cnot"):
            gates.append(h(int(rng.integers(n))))
        else:
            kind = rng.choice(["const", "input", "weight"])
            if kind == "input":
                angle = input_param(int(rng.integers(n_inputs)))
            elif kind == "weight":
                angle = weight_param(int(rng.integers(n_weights)))
            else:
                angle = float(rng.normal() * 3)
            gates.append(Gate(name, (int(rng.integers(n)),), angle))
    return Circuit(n, tuple(gates), n_inputs, n_weights)


def qiskit_expectations(
    qc: object, circuit_: Circuit, inputs: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``<O_k>`` per sample from Qiskit's Statevector, binding parameters through their slots."""
    from qiskit.quantum_info import Statevector

    slots = parameter_slots(qc)
    operators = observables_to_sparse_pauli(circuit_)
    rows = []
    for sample in inputs:
        values = {
            parameter: sample[slot.index] if slot.kind is ParamKind.INPUT else weights[slot.index]
            for parameter, slot in slots.items()
        }
        state = Statevector(qc.assign_parameters(values))
        rows.append([state.expectation_value(op).real for op in operators])
    return np.array(rows)


def test_to_qiskit_structure(qiskit: ModuleType) -> None:
    qc = to_qiskit(qrkt_ansatz(3, 1, tied=True))
    assert qc.num_qubits == 3 and qc.num_clbits == 0
    names = [instruction.operation.name for instruction in qc.data]
    assert names[:9] == ["ry", "ry", "ry", "rx", "rz", "rx", "rz", "rx", "rz"]
    assert names[9:] == ["h", "cx"] * 3
    last = qc.data[-1]
    assert [qc.find_bit(q).index for q in last.qubits] == [2, 0]  # CNOT(2, 0) -> cx(2, 0)
    assert sorted(p.name for p in qc.parameters) == [
        "w[0]", "w[1]", "w[2]", "x[0]", "x[1]", "x[2]",
    ]  # fmt: skip


def test_tied_weight_is_one_parameter_used_twice(qiskit: ModuleType) -> None:
    qc = to_qiskit(qrkt_ansatz(2, 1, tied=True))
    assert qc.num_parameters == 4  # x[0], x[1], w[0], w[1]
    rx_param = qc.data[2].operation.params[0]
    rz_param = qc.data[3].operation.params[0]
    assert rx_param == rz_param
    assert rx_param.name == "w[0]"
    untied = to_qiskit(qrkt_ansatz(2, 1, tied=False))
    assert untied.num_parameters == 6


def test_parameter_slots_and_values_follow_names(qiskit: ModuleType) -> None:
    original = qrkt_ansatz(3, 2, tied=False)  # 12 weights
    qc = to_qiskit(original)
    slots = parameter_slots(qc)
    assert {p.name: s for p, s in slots.items()}["w[10]"] == weight_param(10)
    assert all(slot.name == p.name.replace("[", "").replace("]", "") for p, slot in slots.items())

    inputs = np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]])
    weights = np.arange(12) / 10
    values = parameter_values(qc, inputs, weights)
    assert values.shape == (2, 15)
    by_name = dict(zip([p.name for p in qc.parameters], values.T, strict=True))
    np.testing.assert_array_equal(by_name["w[10]"], [1.0, 1.0])
    np.testing.assert_array_equal(by_name["x[2]"], [0.3, 3.0])


def test_plain_parameters_sort_by_name_but_bind_by_slot(qiskit: ModuleType) -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    qc = QuantumCircuit(1)
    for name in ("w[2]", "w[10]", "_x_1_"):
        qc.rx(Parameter(name), 0)
    assert [p.name for p in qc.parameters] == ["_x_1_", "w[10]", "w[2]"]  # alphabetical
    assert list(parameter_slots(qc).values()) == [input_param(1), weight_param(10), weight_param(2)]
    values = parameter_values(qc, np.array([[5.0, 6.0]]), np.arange(11.0))
    np.testing.assert_array_equal(values, [[6.0, 10.0, 2.0]])


def test_parameter_values_checks_shapes(qiskit: ModuleType) -> None:
    qc = to_qiskit(qrkt_ansatz(2))
    with pytest.raises(CircuitError, match=r"needs slot w1, but weights.shape\[0\] is 1"):
        parameter_values(qc, np.zeros((1, 2)), np.zeros(1))
    with pytest.raises(CircuitError, match=r"inputs of shape \(B, n_inputs\).*got \(2,\)"):
        parameter_values(qc, np.zeros(2), np.zeros(2))


@pytest.mark.parametrize(
    ("name", "slot"),
    [
        ("x[3]", input_param(3)),
        ("w[12]", weight_param(12)),
        ("x3", input_param(3)),
        ("w0", weight_param(0)),
        ("_x_3_", input_param(3)),
        ("_w_10_", weight_param(10)),
        ("theta", None),
        ("x", None),
        ("y[0]", None),
        ("x[1]x", None),
    ],
)
def test_parse_parameter_name(name: str, slot: object) -> None:
    assert parse_parameter_name(name) == slot


@pytest.mark.parametrize("name", ["qrkt", "cara"])
@pytest.mark.parametrize("n_qubits", [1, 2, 3, 6])
@pytest.mark.parametrize("tied", [True, False])
def test_round_trip_ansatz(qiskit: ModuleType, name: str, n_qubits: int, tied: bool) -> None:
    original = build_ansatz(name, n_qubits, 2, tied=tied)
    assert from_qiskit(to_qiskit(original)) == original


@pytest.mark.parametrize("seed", range(20))
def test_round_trip_random(qiskit: ModuleType, seed: int) -> None:
    original = random_circuit(seed)
    restored = from_qiskit(
        to_qiskit(original), n_inputs=original.n_inputs, n_weights=original.n_weights
    )
    assert restored == original


@pytest.mark.parametrize("seed", range(10))
def test_matches_reference_backend(qiskit: ModuleType, seed: int) -> None:
    base = random_circuit(seed)
    n = base.n_qubits
    observables = (z(n - 1), PauliString(((0, "Z"), (n - 1, "Z")))) if n > 1 else ()
    original = Circuit(n, base.gates, base.n_inputs, base.n_weights, observables)
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(3, original.n_inputs))
    weights = rng.normal(size=original.n_weights)
    expected = ReferenceBackend().run(original, inputs, weights)
    got = qiskit_expectations(to_qiskit(original), original, inputs, weights)
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_from_qiskit_names_and_constants(qiskit: ModuleType) -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    qc = QuantumCircuit(3)
    qc.rx(Parameter("x3"), 0)
    qc.ry(Parameter("_w_1_"), 2)
    qc.rz(np.float64(0.25), 1)
    qc.rz(Parameter("w[4]") + 0, 1)  # Qiskit simplifies p + 0 to p
    qc.cx(2, 1)
    qc.h(0)
    qc.global_phase = 0.3  # changes no expectation value: dropped
    assert from_qiskit(qc) == circuit(
        3,
        [
            rx(0, input_param(3)),
            Gate("ry", (2,), weight_param(1)),
            Gate("rz", (1,), 0.25),
            Gate("rz", (1,), weight_param(4)),
            cnot(2, 1),
            h(0),
        ],
    )
    assert from_qiskit(qc, n_inputs=6, n_weights=5).n_inputs == 6


def test_from_qiskit_rejects_unsupported(qiskit: ModuleType) -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("w[0]")
    cases = []
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.swap(0, 1)
    cases.append((qc, r"instruction 1 is 'swap'.*supported gates: rx, ry, rz, h, cx"))
    qc = QuantumCircuit(1)
    qc.rx(2 * theta, 0)
    cases.append(
        (qc, r"instruction 0 \(rx\) has the angle expression 2\*w\[0\]; expected a number")
    )
    qc = QuantumCircuit(1)
    qc.rx(Parameter("theta"), 0)
    cases.append((qc, r"instruction 0 \(rx\) uses parameter 'theta'; expected .* x\[i\] or w\[i\]"))
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    cases.append((qc, r"1 classical bit\(s\).*remove them"))
    qc = QuantumCircuit(1)
    qc.barrier()
    cases.append((qc, r"instruction 0 is 'barrier'"))
    qc = QuantumCircuit(1)
    qc.rx(Parameter("x0"), 0)
    qc.ry(Parameter("x[0]"), 0)
    cases.append((qc, r"parameters 'x0' and 'x\[0\]' both name slot x0"))
    qc = QuantumCircuit(1)
    qc.rx(Parameter("w[3]"), 0)
    cases.append((qc, r"uses w3, but the circuit declares n_weights=2"))  # IR error, passed on
    for qc, match in cases:
        with pytest.raises(CircuitError, match=match):
            from_qiskit(qc, n_weights=2 if "w3" in match else None)


def test_from_qiskit_rejects_non_circuits(qiskit: ModuleType) -> None:
    with pytest.raises(CircuitError, match=r"needs a qiskit QuantumCircuit, got Circuit"):
        from_qiskit(qrkt_ansatz(2))  # type: ignore[arg-type]


def test_observables_to_sparse_pauli_is_little_endian(qiskit: ModuleType) -> None:
    original = circuit(3, [h(0)], observables=[z(0), z(2), PauliString(((0, "Z"), (1, "Z")))])
    labels = [op.paulis[0].to_label() for op in observables_to_sparse_pauli(original)]
    assert labels == ["IIZ", "ZII", "IZZ"]
    default = [op.paulis[0].to_label() for op in observables_to_sparse_pauli(qrkt_ansatz(2))]
    assert default == ["IZ", "ZI"]


def test_missing_qiskit_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qiskit", None)  # makes `import qiskit` fail
    match = r"to_qiskit needs qiskit, which is not installed.*pip install 'qrkt\[qiskit\]'"
    with pytest.raises(MissingDependencyError, match=match):
        to_qiskit(qrkt_ansatz(2))
    with pytest.raises(MissingDependencyError, match=r"from_qiskit needs qiskit"):
        from_qiskit(object())  # type: ignore[arg-type]
    with pytest.raises(ImportError):  # MissingDependencyError is an ImportError
        require_qiskit()


def test_importing_the_modules_does_not_import_qiskit() -> None:
    code = (
        "import sys, qrkt.circuits.qiskit_convert, qrkt.circuits.qasm; "
        "assert 'qiskit' not in sys.modules, 'qiskit was imported eagerly'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
