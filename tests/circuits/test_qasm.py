"""OpenQASM 3 export and import through qiskit.qasm3: exact round trips and simulation."""

from __future__ import annotations

import math
import sys

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
from qrkt.circuits.qasm import from_qasm3, to_qasm3
from qrkt.circuits.qiskit_convert import observables_to_sparse_pauli, parameter_slots
from qrkt.errors import CircuitError, MissingDependencyError

qiskit = pytest.importorskip("qiskit")
from qiskit import qasm3  # noqa: E402
from qiskit.quantum_info import Statevector  # noqa: E402


def random_circuit(seed: int) -> Circuit:
    """A random circuit with constants, repeated weights, unused slots and random observables."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5))
    n_inputs, n_weights = int(rng.integers(0, 4)), int(rng.integers(0, 13))
    gates: list[Gate] = []
    for _ in range(int(rng.integers(0, 20))):
        name = str(rng.choice(["rx", "ry", "rz", "h", "cnot"]))
        if name == "cnot" and n > 1:
            control, target = rng.choice(n, size=2, replace=False)
            gates.append(cnot(int(control), int(target)))
        elif name in ("h", "cnot"):
            gates.append(h(int(rng.integers(n))))
        else:
            choices = ["const"] + ["input"] * (n_inputs > 0) + ["weight"] * (n_weights > 0)
            kind = rng.choice(choices)
            if kind == "input":
                angle = input_param(int(rng.integers(n_inputs)))
            elif kind == "weight":
                angle = weight_param(int(rng.integers(n_weights)))
            else:
                angle = float(rng.normal() * 3)
            gates.append(Gate(name, (int(rng.integers(n)),), angle))
    observables: tuple[PauliString, ...] = ()
    if rng.random() < 0.5:
        observables = tuple(
            PauliString(tuple((int(q), "Z") for q in rng.choice(n, size=k, replace=False)))
            for k in rng.integers(1, n + 1, size=int(rng.integers(1, 4)))
        )
    return Circuit(n, tuple(gates), n_inputs, n_weights, observables)


def expectations_from_qasm(text: str, original: Circuit, inputs, weights) -> np.ndarray:
    """Load ``text`` with plain qiskit.qasm3 and simulate it, binding parameters by name."""
    qc = qasm3.loads(text)
    slots = parameter_slots(qc)
    operators = observables_to_sparse_pauli(original)
    rows = []
    for sample in inputs:
        values = {
            parameter: sample[slot.index] if slot.kind is ParamKind.INPUT else weights[slot.index]
            for parameter, slot in slots.items()
        }
        state = Statevector(qc.assign_parameters(values))
        rows.append([state.expectation_value(op).real for op in operators])
    return np.array(rows).reshape(len(inputs), len(operators))


@pytest.mark.parametrize("name", ["qrkt", "cara"])
@pytest.mark.parametrize("n_qubits", [1, 2, 3, 6])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("tied", [True, False])
def test_ansatz_round_trip(name: str, n_qubits: int, layers: int, tied: bool) -> None:
    original = build_ansatz(name, n_qubits, layers, tied=tied)
    text = to_qasm3(original)
    assert text.startswith(
        f"// qrkt: n_inputs={original.n_inputs} n_weights={original.n_weights}\nOPENQASM 3.0;\n"
    )
    assert from_qasm3(text) == original


@pytest.mark.parametrize("seed", range(30))
def test_random_round_trip(seed: int) -> None:
    original = random_circuit(seed)
    assert from_qasm3(to_qasm3(original)) == original


def test_constants_round_trip_exactly() -> None:
    # Qiskit's default export writes values near multiples of pi as `pi` and rounds tiny ones to 0.
    angles = [math.pi, math.pi - 1e-15, 2 * math.pi, 1e-11, 1e-300, 0.1 + 0.2, -2.5e17, 1 / 3]
    original = circuit(1, [rx(0, a) for a in angles])
    assert [g.angle for g in from_qasm3(to_qasm3(original)).gates] == angles


def test_qiskit_reads_vector_elements_back_as_plain_parameters() -> None:
    text = to_qasm3(qrkt_ansatz(3, 4, tied=True))  # weights w[0] .. w[11]
    assert "input float[64] _w_10_;" in text
    qc = qasm3.loads(text)
    names = [p.name for p in qc.parameters]
    assert names[:4] == ["_w_0_", "_w_10_", "_w_11_", "_w_1_"]  # alphabetical, not by index
    assert {type(p).__name__ for p in qc.parameters} == {"Parameter"}


def test_unused_slots_and_observables_survive() -> None:
    original = circuit(
        3,
        [rx(1, weight_param(2)), cnot(1, 2)],
        n_inputs=4,
        n_weights=7,
        observables=[z(2), PauliString(((0, "Z"), (2, "Z")))],
    )
    text = to_qasm3(original)
    assert text.splitlines()[0] == "// qrkt: n_inputs=4 n_weights=7 observables=Z2,Z0*Z2"
    assert from_qasm3(text) == original


def test_without_header_counts_are_inferred() -> None:
    original = circuit(2, [rx(0, input_param(1)), rx(1, weight_param(2))], n_weights=9)
    text = "\n".join(to_qasm3(original).splitlines()[1:])
    restored = from_qasm3(text)
    assert (restored.n_inputs, restored.n_weights) == (2, 3)
    assert restored.gates == original.gates
    assert restored.reads_z_per_qubit


@pytest.mark.parametrize(
    "original",
    [
        qrkt_ansatz(3, 2, tied=True),
        qrkt_ansatz(6, 2, tied=False),  # 24 weights: the alphabetical-order trap
        build_ansatz("cara", 4, 2),
        *(random_circuit(seed) for seed in range(8)),
    ],
    ids=lambda c: f"n{c.n_qubits}-g{len(c.gates)}-w{c.n_weights}",
)
def test_loaded_qasm_matches_reference_backend(original: Circuit) -> None:
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-np.pi, np.pi, size=(3, original.n_inputs))
    weights = rng.uniform(-np.pi, np.pi, size=original.n_weights)
    expected = ReferenceBackend().run(original, inputs, weights)
    got = expectations_from_qasm(to_qasm3(original), original, inputs, weights)
    np.testing.assert_allclose(got, expected, atol=1e-10)


QASM_HEAD = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("garbage", r"could not parse the OpenQASM 3 text \(QASM3ParsingError.*expected OpenQASM"),
        (QASM_HEAD + "qubit[1] q;\nfoo q[0];\n", r"could not parse.*gate 'foo' is not defined"),
        (QASM_HEAD + "qubit[2] q;\nswap q[0], q[1];\n", r"instruction 0 is 'swap'.*supported"),
        (QASM_HEAD + "qubit[1] q;\nbit[1] c;\nc[0] = measure q[0];\n", r"classical bit"),
        (
            QASM_HEAD + "input float[64] theta;\nqubit[1] q;\nrx(theta) q[0];\n",
            r"uses parameter 'theta'; expected a parameter named x\[i\] or w\[i\]",
        ),
        (
            QASM_HEAD + "input float[64] w0;\nqubit[1] q;\nrx(2 * w0) q[0];\n",
            r"angle expression 2\*w0; expected a number or exactly one parameter",
        ),
        (
            "// qrkt: n_inputs=two\n" + QASM_HEAD + "qubit[1] q;\n",
            r"header field n_inputs='two' must be an integer >= 0",
        ),
        (
            "// qrkt: n_qubits=1\n" + QASM_HEAD + "qubit[1] q;\n",
            r"malformed qrkt header item 'n_qubits=1'.*expected // qrkt: n_inputs=<int>",
        ),
        (
            "// qrkt: observables=Z0+Z1\n" + QASM_HEAD + "qubit[2] q;\n",
            r"malformed observable 'Z0\+Z1'.*like Z0 or Z0\*Z2",
        ),
        (
            "// qrkt: n_inputs=0 n_weights=0\n"
            + QASM_HEAD
            + "input float[64] w1;\nqubit[1] q;\nrx(w1) q[0];\n",
            r"uses w1, but the circuit declares n_weights=0",
        ),
    ],
)
def test_malformed_qasm(text: str, match: str) -> None:
    with pytest.raises(CircuitError, match=match):
        from_qasm3(text)


EXPECTED = "expected OpenQASM 3 as written by qrkt.circuits.qasm.to_qasm3 or qiskit.qasm3.dumps"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", f"the OpenQASM 3 text is empty; {EXPECTED}"),
        ("// qrkt: n_inputs=1\n  \n", f"the OpenQASM 3 text is empty; {EXPECTED}"),
        (
            "garbage",
            "could not parse the OpenQASM 3 text (QASM3ParsingError: syntax error at line 1, "
            f"column 8: unexpected end of text, often a missing ';' before it); {EXPECTED}",
        ),
        (
            QASM_HEAD + "qubit[2] q;\nh q[0]\nh q[1];\n",
            "could not parse the OpenQASM 3 text (QASM3ParsingError: syntax error at line 5, "
            f"column 1: unexpected 'h', often a missing ';' before it); {EXPECTED}",
        ),
        (
            QASM_HEAD + "qubit[2] q;\nrx(0.5) q[5];\n",
            "could not parse the OpenQASM 3 text (an index is out of range: every q[i] needs i "
            f"below the n of its qubit[n] declaration); {EXPECTED}",
        ),
    ],
)
def test_unreadable_qasm_says_why(text: str, message: str) -> None:
    with pytest.raises(CircuitError) as error:
        from_qasm3(text)
    assert str(error.value) == message


def test_non_text_input() -> None:
    with pytest.raises(CircuitError, match=r"needs the OpenQASM 3 text as str, got bytes"):
        from_qasm3(b"OPENQASM 3.0;")  # type: ignore[arg-type]


def test_missing_qiskit_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qiskit", None)
    with pytest.raises(MissingDependencyError, match=r"to_qasm3 needs qiskit.*qrkt\[qiskit\]"):
        to_qasm3(qrkt_ansatz(2))
    with pytest.raises(MissingDependencyError, match=r"from_qasm3 needs qiskit.*qrkt\[qiskit\]"):
        from_qasm3(QASM_HEAD)


def test_missing_importer_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qiskit_qasm3_import", None)
    with pytest.raises(MissingDependencyError, match=r"qiskit_qasm3_import.*qrkt\[qiskit\]"):
        from_qasm3(to_qasm3(qrkt_ansatz(2)))
