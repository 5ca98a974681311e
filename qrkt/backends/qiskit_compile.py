"""Compiling the IR for Qiskit primitives, once per circuit structure (and per device).

Shared by the ``qiskit_aer`` and ``ibm_runtime`` backends. A :class:`CompiledCircuit` holds
two executable Qiskit circuits made from one :func:`~qrkt.circuits.qiskit_convert.to_qiskit`
circuit: one for estimators (no measurements, observables as ``SparsePauliOp``) and one for
samplers (IR qubit ``j`` measured into bit ``j`` of the classical register ``meas``). Both
have the same parameters, so one ``(B, n_params)`` array from :func:`parameter_array` binds
either.

Traps this module exists for:

- ``QuantumCircuit.parameters`` sorts by name, and a primitive binds a plain array in that
  order; values are therefore looked up per parameter through its slot
  (:func:`~qrkt.circuits.qiskit_convert.parameter_slots`), never by position in the IR.
- Transpiling maps virtual qubits to physical ones: observables need
  ``SparsePauliOp.apply_layout``, and a sampler's bit strings would be in physical order.
  Measurements are added BEFORE transpiling, so classical bit ``j`` keeps meaning IR qubit
  ``j`` whatever the layout, and the estimator circuit is the transpiled circuit with its final
  measurements removed (one transpilation serves both primitives).
- Transpiling is slow next to simulating small circuits: :func:`transpile_for` runs the preset
  pass manager once per (circuit structure, device, optimization level), cached in memory
  and optionally on disk (QPY), never per batch or per parameter value.
- Qiskit bit strings are little-endian: classical bit 0 is the rightmost character, and in a
  ``BitArray``'s packed bytes the last byte holds bits 0-7.

Qiskit is imported only when a function here is called.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qrkt.backends.base import BackendOption
from qrkt.circuits.ir import Circuit, Param
from qrkt.circuits.qiskit_convert import (
    observables_to_sparse_pauli,
    parameter_slots,
    parameter_values,
    require_qiskit,
    to_qiskit,
)
from qrkt.circuits.serialization import to_json
from qrkt.errors import BackendInputError, CircuitError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.primitives import BitArray
    from qiskit.primitives.containers import BindingsArray
    from qiskit.providers import BackendV2
    from qiskit.quantum_info import SparsePauliOp
    from qiskit.transpiler import Target

MEASUREMENT_REGISTER = "meas"
"""Name of the classical register the sampler circuit measures IR qubit ``j`` into (bit ``j``)."""

_CACHE_FORMAT = 1  # bump when what is stored on disk changes meaning

# Parity (0 or 1) of every byte value: the parity of a bit string is the XOR of its bytes'.
_BYTE_PARITY = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(1) % 2


@dataclass(frozen=True, eq=False)
class CompiledCircuit:
    """An IR circuit ready for Qiskit primitives.

    Attributes:
      circuit: the IR circuit.
      estimator_circuit: parametrized circuit without measurements; for a device, the ISA
        circuit (on the device's physical qubits).
      sampler_circuit: the same gates with IR qubit ``j`` measured into bit ``j`` of the
        register :data:`MEASUREMENT_REGISTER`; ISA for a device.
      observables: one ``SparsePauliOp`` per IR observable, on ``estimator_circuit``'s qubits
        (layout applied for a device; little-endian labels).
      parameters: the circuits' parameters in ``QuantumCircuit.parameters`` order, the order
        of the columns of :func:`parameter_array` (and of a primitive's plain-array binding).
      slots: the IR slot of each parameter, resolved by name.
      device: the device's name, or ``None`` for the logical (untranspiled) circuit.
      optimization_level: the preset pass manager's level, or ``None`` if not transpiled.
    """

    circuit: Circuit
    estimator_circuit: QuantumCircuit
    sampler_circuit: QuantumCircuit
    observables: tuple[SparsePauliOp, ...]
    parameters: tuple[Parameter, ...]
    slots: tuple[Param, ...]
    device: str | None = None
    optimization_level: int | None = None

    @property
    def n_parameters(self) -> int:
        return len(self.parameters)


_LOGICAL: dict[Circuit, CompiledCircuit] = {}
_TRANSPILED: dict[tuple[Circuit, str, int], CompiledCircuit] = {}


def compile_circuit(circuit: Circuit) -> CompiledCircuit:
    """The logical (untranspiled) compilation of ``circuit``, built once per circuit."""
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"compile_circuit needs a qrkt Circuit, got {type(circuit).__name__}")
    compiled = _LOGICAL.get(circuit)
    if compiled is None:
        estimator_circuit = to_qiskit(circuit)
        sampler_circuit = _with_measurements(estimator_circuit)
        compiled = _compiled(
            circuit, estimator_circuit, sampler_circuit, tuple(observables_to_sparse_pauli(circuit))
        )
        _LOGICAL[circuit] = compiled
    return compiled


TRANSPILE_OPTIONS = (
    BackendOption(
        "optimization_level", int, "K", "the transpiler's optimization level, 0 to 3 (default: 1)"
    ),
    BackendOption(
        "cache_dir", str, "DIR", "where transpiled circuits are kept as QPY for other processes"
    ),
)
"""The flags of the transpiler's options, for a Qiskit backend's ``cli_options``."""


def check_optimization_level(level: object) -> None:
    """Raise a :class:`BackendInputError` unless ``level`` is a preset pass manager's level."""
    if isinstance(level, bool) or level not in (0, 1, 2, 3):
        raise BackendInputError(f"optimization_level must be 0, 1, 2 or 3, got {level!r}")


def transpile_for(
    circuit: Circuit,
    backend: BackendV2,
    optimization_level: int = 1,
    cache_dir: str | os.PathLike[str] | None = None,
) -> CompiledCircuit:
    """``circuit`` transpiled to ``backend``'s ISA with the preset pass manager, once.

    Cached in memory per (circuit, device fingerprint, optimization level); with
    ``cache_dir``, also on disk as QPY under a hash of the IR's JSON, the device
    fingerprint, the level and the Qiskit version, so another process reuses it. The
    transpilation is seeded, so it is reproducible.
    """
    qiskit = require_qiskit("transpile_for")
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"transpile_for needs a qrkt Circuit, got {type(circuit).__name__}")
    check_optimization_level(optimization_level)
    fingerprint = device_fingerprint(backend)
    key = (circuit, fingerprint, optimization_level)
    if key in _TRANSPILED:
        return _TRANSPILED[key]
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256(
            "\n".join(
                [
                    f"qrkt-transpile-cache/{_CACHE_FORMAT}",
                    to_json(circuit),
                    fingerprint,
                    str(optimization_level),
                    qiskit.__version__,
                ]
            ).encode()
        ).hexdigest()
        path = Path(cache_dir) / f"{backend.name}-{digest[:32]}.qpy"
    isa = _load_qpy(path) if path is not None and path.exists() else None
    if isa is None:
        isa = _transpile(compile_circuit(circuit).sampler_circuit, backend, optimization_level)
        if path is not None:
            _dump_qpy(isa, path)
    estimator_circuit = isa.remove_final_measurements(inplace=False)
    observables = tuple(op.apply_layout(isa.layout) for op in observables_to_sparse_pauli(circuit))
    compiled = _compiled(
        circuit, estimator_circuit, isa, observables, backend.name, optimization_level
    )
    _TRANSPILED[key] = compiled
    return compiled


def circuit_duration(qc: QuantumCircuit, target: Target) -> float:
    """Seconds ``qc`` takes on ``target``, from its gate durations; 0 where it has none (Aer)."""
    from qiskit.exceptions import QiskitError

    try:
        return float(qc.estimate_duration(target, unit="s"))
    except QiskitError:
        return 0.0


def device_fingerprint(backend: BackendV2) -> str:
    """What identifies a transpilation target: name, width, operations and coupling map.

    The name alone would not do: every ``AerSimulator`` is called ``aer_simulator``, whatever
    the basis gates its noise model gives it.
    """
    coupling = backend.coupling_map
    edges = "all-to-all" if coupling is None else str(sorted(coupling.get_edges()))
    operations = ",".join(sorted(backend.target.operation_names))
    return f"{backend.name}|{backend.num_qubits}|{operations}|{edges}"


def clear_caches() -> None:
    """Forget every compiled circuit held in memory (the disk cache is kept)."""
    _LOGICAL.clear()
    _TRANSPILED.clear()


def parameter_array(
    compiled: CompiledCircuit, inputs: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Values for ``compiled.parameters``, shape ``(B, n_params)``, each looked up by its slot.

    ``inputs`` is ``(B, n_inputs)`` and ``weights`` ``(n_weights,)``, as validated by
    :meth:`~qrkt.backends.base.Backend.validate`.
    """
    return parameter_values(compiled.sampler_circuit, inputs, weights)


def estimator_pub(compiled: CompiledCircuit, values: np.ndarray) -> tuple[Any, ...]:
    """One estimator PUB for a whole batch: ``values`` ``(B, n_params)`` broadcast against the
    observables; read it back with :func:`estimator_expectations`."""
    from qiskit.primitives.containers import ObservablesArray

    observables = ObservablesArray(list(compiled.observables)).reshape(1, -1)
    bindings = _bindings(compiled.parameters, values, (1,))
    return (compiled.estimator_circuit, observables, bindings)


def sampler_pub(compiled: CompiledCircuit, values: np.ndarray, shots: int) -> tuple[Any, ...]:
    """One sampler PUB for a whole batch, ``shots`` per parameter set; read it back with
    :func:`sampler_expectations`."""
    return circuit_sampler_pub(compiled.sampler_circuit, values, shots)


def circuit_sampler_pub(qc: QuantumCircuit, values: np.ndarray, shots: int) -> tuple[Any, ...]:
    """One sampler PUB of ``qc`` for ``values`` ``(B, n_params)``, columns in
    ``qc.parameters`` order, bound by parameter object, ``shots`` per parameter set."""
    parameters = tuple(qc.parameters)
    bindings = _bindings(parameters, values)
    if not parameters:  # one experiment for all B samples: B times the shots
        shots *= values.shape[0]
    return (qc, bindings, shots)


def estimator_expectations(pub_result: Any, batch: int) -> np.ndarray:
    """``(B, n_observables)`` from the result of an :func:`estimator_pub`."""
    evs = np.asarray(pub_result.data.evs, dtype=np.float64)
    return np.broadcast_to(evs, (batch, evs.shape[-1])).copy()


def sampler_expectations(pub_result: Any, circuit: Circuit, batch: int) -> np.ndarray:
    """``(B, n_observables)`` from the result of a :func:`sampler_pub`."""
    bits = getattr(pub_result.data, MEASUREMENT_REGISTER)
    if bits.size != batch:  # a parameter-free circuit: split the pooled shots per sample
        bits = bits.reshape(batch, bits.size * bits.num_shots // batch)
    return z_expectations(bits, circuit)


def z_expectations(bits: BitArray, circuit: Circuit) -> np.ndarray:
    """``<O>`` of every observable of ``circuit`` from sampled bits, shape ``(*bits.shape, n_obs)``.

    ``bits`` is the ``BitArray`` of :data:`MEASUREMENT_REGISTER` (bit ``j`` = IR qubit ``j``)
    from a sampler PUB, e.g. ``result[0].data.meas``. A Z string's value on one shot is
    ``(-1)**parity`` of its qubits' bits; the parity is read from the packed bytes directly,
    vectorized over batch and shots.
    """
    if bits.num_bits != circuit.n_qubits:
        raise BackendInputError(
            f"the sampled register has {bits.num_bits} bits, but the circuit has "
            f"{circuit.n_qubits} qubits; sample compiled.sampler_circuit and pass "
            f"result.data.{MEASUREMENT_REGISTER}"
        )
    packed = bits.array  # (*shape, shots, n_bytes), most significant byte first
    n_bytes = packed.shape[-1]
    masks = np.array(
        [
            np.frombuffer(sum(1 << q for q in obs.qubits).to_bytes(n_bytes, "big"), np.uint8)
            for obs in circuit.observables
        ]
    )  # (n_obs, n_bytes)
    parity = _BYTE_PARITY[packed[..., None, :] & masks].sum(-1) & 1  # (*shape, shots, n_obs)
    return 1.0 - 2.0 * parity.mean(axis=-2)


# --- helpers ----------------------------------------------------------------------------------


def _compiled(
    circuit: Circuit,
    estimator_circuit: QuantumCircuit,
    sampler_circuit: QuantumCircuit,
    observables: tuple[SparsePauliOp, ...],
    device: str | None = None,
    optimization_level: int | None = None,
) -> CompiledCircuit:
    slots = parameter_slots(sampler_circuit)  # by name: survives QPY and the transpiler
    parameters = tuple(sampler_circuit.parameters)  # the estimator circuit's too
    return CompiledCircuit(
        circuit,
        estimator_circuit,
        sampler_circuit,
        observables,
        parameters,
        tuple(slots[p] for p in parameters),
        device,
        optimization_level,
    )


def _with_measurements(qc: QuantumCircuit) -> QuantumCircuit:
    from qiskit.circuit import ClassicalRegister

    measured = qc.copy()
    register = ClassicalRegister(qc.num_qubits, MEASUREMENT_REGISTER)
    measured.add_register(register)
    measured.measure(range(qc.num_qubits), register)
    return measured


def _transpile(qc: QuantumCircuit, backend: BackendV2, optimization_level: int) -> QuantumCircuit:
    from qiskit.transpiler import generate_preset_pass_manager

    if qc.num_qubits > backend.num_qubits:
        raise BackendInputError(
            f"device {backend.name!r} has {backend.num_qubits} qubits, the circuit needs "
            f"{qc.num_qubits}; use a wider device or a narrower circuit"
        )
    manager = generate_preset_pass_manager(
        optimization_level=optimization_level, backend=backend, seed_transpiler=0
    )
    return manager.run(qc)


def _load_qpy(path: Path) -> QuantumCircuit | None:
    """The circuit stored at ``path``, or ``None`` if it cannot be read (then re-transpile)."""
    from qiskit import qpy

    try:
        with path.open("rb") as handle:
            (circuit,) = qpy.load(handle)
    except Exception:  # a truncated or foreign file is a cache miss, not an error
        return None
    return circuit


def _dump_qpy(qc: QuantumCircuit, path: Path) -> None:
    """Write atomically, so a concurrent process never reads half a file."""
    from qiskit import qpy

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            qpy.dump(qc, handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _bindings(
    parameters: tuple[Parameter, ...], values: np.ndarray, trailing: tuple[int, ...] = ()
) -> BindingsArray:
    """``values`` keyed by the parameter objects, so binding never depends on name order."""
    from qiskit.primitives.containers import BindingsArray

    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(parameters):
        raise BackendInputError(
            f"parameter values must have shape (B, {len(parameters)}), got {values.shape}; "
            "build them for this circuit with parameter_array(compiled, inputs, weights) or "
            "PackedCircuit.values(inputs, weights)"
        )
    if not parameters:
        # Aer's primitives (also behind runtime's local mode) run a parameter-free circuit once
        # whatever the bindings' shape, then fail to find results 1..B-1: bind one point.
        return BindingsArray(shape=(1, *trailing))
    shape = (values.shape[0], *trailing)
    return BindingsArray({parameters: values.reshape(*shape, -1)}, shape=shape)
