"""The circuit IR: small immutable values compared by value.

A :class:`Circuit` is a width, a tuple of :class:`Gate` values and a tuple of observables.
Rotation angles are either finite constants or symbolic :class:`Param` slots of two kinds:
inputs (data, bound per sample) and weights (trainable, shared by the batch). A weight may
appear in several gates; it is still one parameter.

Gate conventions: ``RX(t) = exp(-i t X / 2)`` (likewise RY, RZ), ``H`` is Hadamard and
``CNOT`` takes ``(control, target)``. Every value here is hashable, so circuits can be cache
keys and static arguments of ``jax.jit``.
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from qrkt.errors import CircuitError, UnknownNameError, is_integer, known_names


class ParamKind(enum.Enum):
    """Whether a parameter slot is bound per sample (input) or shared by the batch (weight)."""

    INPUT = "input"
    WEIGHT = "weight"


@dataclass(frozen=True, order=True)
class Param:
    """A symbolic angle: slot ``index`` of the circuit's inputs or weights."""

    kind: ParamKind
    index: int

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ParamKind):
            raise CircuitError(
                f"parameter kind must be ParamKind.INPUT or ParamKind.WEIGHT, got {self.kind!r}; "
                "build parameters with qrkt.circuits.input_param(i) or weight_param(i)"
            )
        if not is_integer(self.index) or self.index < 0:
            raise CircuitError(f"parameter index must be an integer >= 0, got {self.index!r}")

    @property
    def name(self) -> str:
        """``x{i}`` for inputs, ``w{i}`` for weights."""
        return ("x" if self.kind is ParamKind.INPUT else "w") + str(self.index)

    def __repr__(self) -> str:
        builder = "input_param" if self.kind is ParamKind.INPUT else "weight_param"
        return f"{builder}({self.index})"


def input_param(index: int) -> Param:
    """The input slot ``index`` (a data feature, bound per sample)."""
    return Param(ParamKind.INPUT, index)


def weight_param(index: int) -> Param:
    """The weight slot ``index`` (trainable, shared by the batch)."""
    return Param(ParamKind.WEIGHT, index)


Angle = Param | float


class GateSpec(NamedTuple):
    """What a gate name means: how many qubits it acts on and whether it takes an angle."""

    num_qubits: int
    parametric: bool


GATES: dict[str, GateSpec] = {
    "rx": GateSpec(1, True),
    "ry": GateSpec(1, True),
    "rz": GateSpec(1, True),
    "h": GateSpec(1, False),
    "cnot": GateSpec(2, False),
}


@dataclass(frozen=True)
class Gate:
    """One gate: a name from :data:`GATES`, the qubits it acts on and, if rotational, its angle."""

    name: str
    qubits: tuple[int, ...]
    angle: Angle | None = None

    def __post_init__(self) -> None:
        spec = GATES.get(self.name) if isinstance(self.name, str) else None
        if spec is None:
            raise UnknownNameError(f"unknown gate {self.name!r}; known gates: {known_names(GATES)}")
        qubits = tuple(self.qubits) if isinstance(self.qubits, Iterable) else (self.qubits,)
        if len(qubits) != spec.num_qubits or not all(is_integer(q) and q >= 0 for q in qubits):
            raise CircuitError(
                f"gate {self.name!r} acts on {spec.num_qubits} qubit(s) given as integers >= 0, "
                f"got qubits={self.qubits!r}"
            )
        if len(set(qubits)) != len(qubits):
            raise CircuitError(
                f"gate {self.name!r} got the same qubit twice: qubits={qubits}; "
                "control and target must differ"
            )
        object.__setattr__(self, "qubits", tuple(int(q) for q in qubits))
        if not spec.parametric:
            if self.angle is not None:
                raise CircuitError(
                    f"gate {self.name!r} takes no angle, got angle={self.angle!r}; drop the angle"
                )
            return
        if isinstance(self.angle, Param):
            return
        if isinstance(self.angle, bool) or not isinstance(self.angle, numbers.Real):
            raise CircuitError(
                f"gate {self.name!r} needs an angle that is a Param (input_param(i) or "
                f"weight_param(i)) or a real number, got {self.angle!r}"
            )
        if not math.isfinite(self.angle):
            raise CircuitError(
                f"gate {self.name!r} got a non-finite constant angle {self.angle!r}; "
                "angles must be finite numbers"
            )
        object.__setattr__(self, "angle", float(self.angle))

    @property
    def param(self) -> Param | None:
        """The symbolic parameter of this gate, or ``None`` for a constant or no angle."""
        return self.angle if isinstance(self.angle, Param) else None

    def __repr__(self) -> str:
        qubits = ", ".join(map(str, self.qubits))
        angle = "" if self.angle is None else f", {self.angle!r}"
        return f"{self.name}({qubits}{angle})"


def rx(qubit: int, angle: Angle) -> Gate:
    return Gate("rx", (qubit,), angle)


def ry(qubit: int, angle: Angle) -> Gate:
    return Gate("ry", (qubit,), angle)


def rz(qubit: int, angle: Angle) -> Gate:
    return Gate("rz", (qubit,), angle)


def h(qubit: int) -> Gate:
    return Gate("h", (qubit,))


def cnot(control: int, target: int) -> Gate:
    return Gate("cnot", (control, target))


@dataclass(frozen=True, order=True)
class PauliString:
    """A product of single-qubit Paulis, e.g. ``Z_0 Z_2`` as ``PauliString(((0, "Z"), (2, "Z")))``.

    Only ``Z`` letters are accepted for now: every backend reads them from one probability
    vector. The type leaves room for ``X`` and ``Y``.
    """

    terms: tuple[tuple[int, str], ...]

    def __post_init__(self) -> None:
        terms = tuple(sorted((int(q), str(p)) for q, p in self.terms))
        qubits = [q for q, _ in terms]
        if not terms or len(set(qubits)) != len(qubits) or min(qubits) < 0:
            raise CircuitError(
                f"a Pauli string needs distinct qubits >= 0, each named once, got {self.terms!r}"
            )
        letters = {p for _, p in terms}
        if letters != {"Z"}:
            raise CircuitError(
                f"only Z Pauli strings are supported, got letters {sorted(letters)}; "
                "rotate the basis with gates before measuring X or Y"
            )
        object.__setattr__(self, "terms", terms)

    @property
    def qubits(self) -> tuple[int, ...]:
        return tuple(q for q, _ in self.terms)

    def __str__(self) -> str:
        return " ".join(f"{p}{q}" for q, p in self.terms)


def z(qubit: int) -> PauliString:
    """The observable ``Z`` on one qubit."""
    return PauliString(((qubit, "Z"),))


@dataclass(frozen=True)
class Circuit:
    """A parametrized circuit: ``n_qubits`` wires, gates in order, and observables to read.

    ``n_inputs`` and ``n_weights`` are the numbers of input and weight slots; every parameter
    in a gate must fall inside them. ``observables`` defaults to ``Z_j`` on every qubit ``j``,
    read in qubit order 0..n-1.
    """

    n_qubits: int
    gates: tuple[Gate, ...]
    n_inputs: int
    n_weights: int
    observables: tuple[PauliString, ...] = field(default=())

    def __post_init__(self) -> None:
        if not is_integer(self.n_qubits) or self.n_qubits < 1:
            raise CircuitError(f"n_qubits must be an integer >= 1, got {self.n_qubits!r}")
        for name in ("n_inputs", "n_weights"):
            value = getattr(self, name)
            if not is_integer(value) or value < 0:
                raise CircuitError(f"{name} must be an integer >= 0, got {value!r}")
        gates = tuple(self.gates)
        for position, gate in enumerate(gates):
            if not isinstance(gate, Gate):
                raise CircuitError(
                    f"gate {position} must be a qrkt Gate (e.g. rx(0, weight_param(0))), "
                    f"got {gate!r}"
                )
            self._check_gate(position, gate)
        observables = tuple(self.observables) or tuple(z(q) for q in range(self.n_qubits))
        for observable in observables:
            if not isinstance(observable, PauliString):
                raise CircuitError(f"observables must be PauliString values, got {observable!r}")
            if max(observable.qubits) >= self.n_qubits:
                raise CircuitError(
                    f"observable {observable} acts on qubit {max(observable.qubits)}, but the "
                    f"circuit has qubits 0..{self.n_qubits - 1}; raise n_qubits or fix the "
                    "observable"
                )
        object.__setattr__(self, "gates", gates)
        object.__setattr__(self, "observables", observables)
        object.__setattr__(self, "n_qubits", int(self.n_qubits))

    def _check_gate(self, position: int, gate: Gate) -> None:
        if max(gate.qubits) >= self.n_qubits:
            raise CircuitError(
                f"gate {position} ({gate!r}) acts on qubit {max(gate.qubits)}, but the circuit "
                f"has qubits 0..{self.n_qubits - 1}; raise n_qubits or fix the qubit index"
            )
        param = gate.param
        if param is None:
            return
        limit = self.n_inputs if param.kind is ParamKind.INPUT else self.n_weights
        if param.index >= limit:
            field_name = "n_inputs" if param.kind is ParamKind.INPUT else "n_weights"
            raise CircuitError(
                f"gate {position} ({gate!r}) uses {param.name}, but the circuit declares "
                f"{field_name}={limit}; raise {field_name} to at least {param.index + 1}"
            )

    @property
    def n_observables(self) -> int:
        return len(self.observables)

    @property
    def reads_z_per_qubit(self) -> bool:
        """Whether the observables are exactly ``Z_0, ..., Z_{n-1}`` in order."""
        return self.observables == tuple(z(q) for q in range(self.n_qubits))

    def params(self, kind: ParamKind | None = None) -> Iterator[Param]:
        """Each gate's symbolic parameter in gate order, with repeats (one per occurrence)."""
        for gate in self.gates:
            if gate.param is not None and (kind is None or gate.param.kind is kind):
                yield gate.param

    def __repr__(self) -> str:
        return (
            f"Circuit(n_qubits={self.n_qubits}, n_inputs={self.n_inputs}, "
            f"n_weights={self.n_weights}, gates=({', '.join(map(repr, self.gates))}))"
        )


def circuit(
    n_qubits: int,
    gates: Sequence[Gate],
    *,
    n_inputs: int | None = None,
    n_weights: int | None = None,
    observables: Sequence[PauliString] = (),
) -> Circuit:
    """Build a :class:`Circuit`, inferring the slot counts from the gates when not given."""
    gates = tuple(gates)

    def count(kind: ParamKind) -> int:
        return 1 + max((p.index for g in gates if (p := g.param) and p.kind is kind), default=-1)

    return Circuit(
        n_qubits,
        tuple(gates),
        count(ParamKind.INPUT) if n_inputs is None else n_inputs,
        count(ParamKind.WEIGHT) if n_weights is None else n_weights,
        tuple(observables),
    )
