"""The text drawing: moments, alignment, CNOT lines and observables."""

from __future__ import annotations

from qrkt.circuits.ansatz import cara_ansatz, qrkt_ansatz
from qrkt.circuits.drawing import draw, gate_label
from qrkt.circuits.ir import (
    Circuit,
    PauliString,
    circuit,
    cnot,
    h,
    input_param,
    rx,
    ry,
    weight_param,
    z,
)


def lines(*rows: str) -> str:
    return "\n".join(rows)


def test_qrkt_ansatz_drawing() -> None:
    assert draw(qrkt_ansatz(3)) == lines(
        "q0: ─RY(x0)──RX(w0)──RZ(w0)──H──●───────────⊕──  ⟨Z⟩",
        "q1: ─RY(x1)──RX(w1)──RZ(w1)─────⊕──H──●─────┼──  ⟨Z⟩",
        "q2: ─RY(x2)──RX(w2)──RZ(w2)───────────⊕──H──●──  ⟨Z⟩",
    )


def test_cara_ansatz_drawing() -> None:
    assert draw(cara_ansatz(2, 2)) == lines(
        "q0: ─RX(x0)──RX(w0)──●──RX(w2)──●──  ⟨Z⟩",
        "q1: ─RX(x1)──RX(w1)──⊕──RX(w3)──⊕──  ⟨Z⟩",
    )


def test_rows_are_aligned() -> None:
    for n_qubits in (6, 11):
        rows = draw(qrkt_ansatz(n_qubits, 2, tied=False)).splitlines()
        assert len(rows) == n_qubits
        assert len({len(row) for row in rows}) == 1
        assert rows[-1].startswith(f"q{n_qubits - 1}: ─RY(x{n_qubits - 1})")
    assert draw(qrkt_ansatz(11)).splitlines()[0].startswith("q0:  ─RY(x0)───RX(w0)")


def test_constants_and_listed_observables() -> None:
    drawn = draw(
        circuit(
            3,
            [rx(0, 0.5), ry(2, -1.0 / 3), h(1)],
            observables=[z(2), PauliString(((0, "Z"), (2, "Z")))],
        )
    )
    assert drawn == lines(
        "q0: ─RX(0.5)──────",
        "q1: ─H────────────",
        "q2: ─RY(-0.3333)──",
        "observables: ⟨Z2⟩, ⟨Z0 Z2⟩",
    )


def test_cnot_blocks_the_qubits_between() -> None:
    # h(1) cannot share the CNOT's column: the vertical line passes through qubit 1.
    drawn = draw(circuit(3, [cnot(0, 2), h(1), h(0)]))
    assert drawn == lines(
        "q0: ─●──H──  ⟨Z⟩",
        "q1: ─┼──H──  ⟨Z⟩",
        "q2: ─⊕─────  ⟨Z⟩",
    )


def test_independent_gates_share_a_column() -> None:
    drawn = draw(circuit(2, [rx(0, weight_param(10)), h(1), cnot(1, 0)]))
    assert drawn == lines(
        "q0: ─RX(w10)──⊕──  ⟨Z⟩",
        "q1: ─H────────●──  ⟨Z⟩",
    )


def test_empty_circuit() -> None:
    assert draw(Circuit(2, (), 0, 0)) == lines(
        "q0: ─  ⟨Z⟩",
        "q1: ─  ⟨Z⟩",
    )


def test_gate_labels() -> None:
    assert gate_label(ry(0, input_param(3))) == "RY(x3)"
    assert gate_label(rx(0, 2.0)) == "RX(2)"
    assert gate_label(rx(0, 3.14159265)) == "RX(3.142)"
    assert gate_label(h(0)) == "H"
