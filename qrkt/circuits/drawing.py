"""A plain-text drawing of a circuit, one row per qubit.

Gates are placed in moments: each goes in the earliest column after the previous gates on its
qubits. A CNOT also takes the qubits between control and target for its column and draws a
vertical line (``┼``) through them. ``●`` marks a control and ``⊕`` a target::

    q0: ─RY(x0)──RX(w0)──RZ(w0)──H──●───────────⊕──  ⟨Z⟩
    q1: ─RY(x1)──RX(w1)──RZ(w1)─────⊕──H──●─────┼──  ⟨Z⟩
    q2: ─RY(x2)──RX(w2)──RZ(w2)───────────⊕──H──●──  ⟨Z⟩

Labels are left-aligned in their column; constant angles print with 4 significant digits.
"""

from __future__ import annotations

from qrkt.circuits.ir import Circuit, Gate, Param

WIRE = "─"
CONTROL = "●"
TARGET = "⊕"
CROSSING = "┼"


def draw(circuit: Circuit) -> str:
    """The circuit as text: aligned moments, then the observables.

    When the observables are ``Z_j`` on every qubit, each row ends with ``⟨Z⟩``; otherwise
    they are listed on a line below the rows.
    """
    columns = _moments(circuit)
    rows: list[list[str]] = [[] for _ in range(circuit.n_qubits)]
    for column in columns:
        width = max(len(label) for label in column.values())
        for qubit, row in enumerate(rows):
            label = column.get(qubit, "")
            row.append(WIRE + label.ljust(width, WIRE) + WIRE)
    names = [f"q{qubit}:" for qubit in range(circuit.n_qubits)]
    pad = max(map(len, names))
    lines = [f"{name:<{pad}} " + "".join(row) + WIRE for name, row in zip(names, rows, strict=True)]
    if circuit.reads_z_per_qubit:
        return "\n".join(line + "  ⟨Z⟩" for line in lines)
    observables = ", ".join(f"⟨{observable}⟩" for observable in circuit.observables)
    return "\n".join([*lines, f"observables: {observables}"])


def gate_label(gate: Gate) -> str:
    """A gate's text, e.g. ``RY(x0)``, ``RX(0.5)`` or ``H``."""
    if gate.angle is None:
        return gate.name.upper()
    angle = gate.angle.name if isinstance(gate.angle, Param) else f"{gate.angle:.4g}"
    return f"{gate.name.upper()}({angle})"


def _moments(circuit: Circuit) -> list[dict[int, str]]:
    """The gates as columns, each mapping qubit -> label for the qubits it occupies."""
    free = [0] * circuit.n_qubits  # first column where each qubit is free
    columns: list[dict[int, str]] = []
    for gate in circuit.gates:
        span = range(min(gate.qubits), max(gate.qubits) + 1)
        index = max(free[q] for q in span)
        if index == len(columns):
            columns.append({})
        if gate.name == "cnot":
            control, target = gate.qubits
            cells = {q: CROSSING for q in span} | {control: CONTROL, target: TARGET}
        else:
            cells = {gate.qubits[0]: gate_label(gate)}
        columns[index].update(cells)
        for q in span:
            free[q] = index + 1
    return columns
