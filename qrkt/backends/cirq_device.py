"""Where the ``cirq`` backend samples besides Cirq's simulators: a ``cirq.Sampler``, with the
circuit compiled for a ``cirq.Device``.

Named devices are cirq-google's virtual Google processors, local and free (:func:`device_names`:
``"rainbow"`` and ``"weber"`` in cirq-google 1.5): the processor's grid, gate set and
validation behind a ``ProcessorSampler``, run as Quantum Engine runs a job:

- ``"<processor>"``: with Google's noise, from the median calibration that cirq-google stores
  for the processor (``create_default_noisy_quantum_virtual_machine``: Pauli and coherent gate
  errors, T1 and dephasing over each moment's duration, readout error). It is simulated on
  ``cirq.DensityMatrixSimulator``, which simulates each sweep point once and draws every shot
  from it; cirq-google's default without qsim, ``cirq.Simulator``, re-simulates every
  repetition when there is noise (12 minutes instead of 1 s for 20 points x 1,000 shots at 4
  qubits).
- ``"<processor>-noiseless"``: the same device on ``cirq.Simulator``, with Quantum Engine's
  checks of program size and repetitions.

Compilation (:meth:`SamplingTarget.program`, once per circuit): each IR qubit is measured under
its own key (``q0``, ``q1``, ...), so that results stay in IR qubit order wherever routing
moves the qubits. The qubits are placed without SWAPs where the circuit's interaction graph
embeds in the device graph (even rings do on Google's grids), otherwise by ``cirq.RouteCQC``'s
line placement, and routed by ``cirq.RouteCQC``; then converted to the device's gate set by
``cirq.optimize_for_target_gateset``, with every single-qubit gate but virtual Z rotations a
``PhasedXZGate`` (Google's microwave gate, the one its noise model charges for), the
measurements in the last moment, and checked by ``device.validate_circuit``. Parameters stay
``sympy`` symbols throughout, bound by the sweep.

Named devices compile to ``cirq.SqrtIswapTargetGateset``: the stored calibrations of Rainbow
and Weber characterise the sqrt-iSWAP and Sycamore gates, not CZ, so CZ circuits would run
without two-qubit gate errors. Other devices compile to the first of their
``compilation_target_gatesets`` (``cirq.CZTargetGateset`` where they state none).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qrkt.backends.base import DENSITY_MATRIX_MAX_QUBITS
from qrkt.circuits.cirq_convert import CirqCircuit
from qrkt.circuits.ir import Circuit
from qrkt.dependencies import require
from qrkt.errors import BackendInputError, UnsupportedError, known_names

if TYPE_CHECKING:
    import cirq
    import networkx

STATE_VECTOR_MAX_QUBITS = 20
"""The widest circuit simulated on ``cirq.Simulator`` (2^20 amplitudes)."""

NOISELESS = "-noiseless"
"""The suffix that names a virtual device without noise (``"rainbow-noiseless"``)."""


@dataclass(frozen=True, eq=False)
class SamplingTarget:
    """Where a backend samples.

    Attributes:
      sampler: what runs the circuits.
      device: what they are compiled for; ``None``: they run as they are, on ``LineQubit`` s.
      gateset: what they are compiled to (with ``device``).
      max_qubits: the widest circuit it runs.
      noisy: whether its results carry noise (a user's sampler: assumed so).
      max_repetitions: parameter sets x shots in one job (Quantum Engine's limit); ``None``
        where the sampler has none.
      description: for the backend's ``repr``.
    """

    sampler: cirq.Sampler
    device: cirq.Device | None
    gateset: cirq.CompilationTargetGateset | None
    max_qubits: int
    noisy: bool
    max_repetitions: int | None
    description: str

    def program(self, converted: CirqCircuit) -> cirq.Circuit:
        """The circuit the sampler runs: measured and, for a device, compiled for it."""
        if self.device is None or self.gateset is None:
            return converted.circuit + measurements(converted.qubits)
        return device_circuit(converted, self.device, self.gateset)


def device_names() -> tuple[str, ...]:
    """The virtual Google devices of the installed cirq-google: noisy where it stores a
    calibration, noiseless where it stores a device specification."""
    from cirq_google.engine import virtual_engine_factory as factory

    return (*factory.MEDIAN_CALIBRATIONS, *(p + NOISELESS for p in factory.MOST_RECENT_TEMPLATES))


def sampling_target(
    device: object, sampler: object, random_state: np.random.RandomState
) -> SamplingTarget:
    """The target of a backend's ``device`` and ``sampler`` options; samplers built here (a
    named device's, or ``cirq.Simulator`` for a ``cirq.Device`` alone) draw from
    ``random_state``."""
    import cirq

    if sampler is not None and not isinstance(sampler, cirq.Sampler):
        raise BackendInputError(
            "sampler must be a cirq.Sampler, e.g. cirq.Simulator(seed=7) or a "
            f"cirq_google.ProcessorSampler, got {type(sampler).__name__}"
        )
    if isinstance(device, str):
        if sampler is not None:
            raise BackendInputError(
                f"device {device!r} names a virtual device with a sampler of its own; to run on "
                "your sampler, give the cirq.Device to compile for instead, e.g. "
                f"cirq_google.engine.create_device_from_processor_id({device!r})"
            )
        return _virtual_device(device, random_state)
    # Only a ProcessorSampler (Quantum Engine) has a device and a job limit of its own. One
    # exists only once cirq_google is imported, so it is not imported here (that takes seconds).
    google = sys.modules.get("cirq_google")
    engine = google is not None and isinstance(sampler, google.ProcessorSampler)
    if device is None and engine:
        device = sampler.processor.get_device()  # type: ignore[union-attr]
    if device is not None:
        _check_device(device)
    width = STATE_VECTOR_MAX_QUBITS if device is None else len(device.metadata.qubit_set)
    gateset = None if device is None else target_gateset(device)
    if sampler is None:
        return SamplingTarget(
            cirq.Simulator(seed=random_state),
            device,
            gateset,
            min(width, STATE_VECTOR_MAX_QUBITS),
            noisy=False,
            max_repetitions=None,
            description=f"{type(device).__name__} on cirq.Simulator",
        )
    return SamplingTarget(
        sampler,
        device,
        gateset,
        width,
        noisy=True,
        max_repetitions=_engine_repetitions() if engine else None,
        description=f"sampler {type(sampler).__name__}",
    )


def target_gateset(device: cirq.Device, *, named: bool = False) -> cirq.CompilationTargetGateset:
    """What circuits for ``device`` are compiled to; ``named``: a virtual Google device."""
    import cirq

    gatesets = getattr(device.metadata, "compilation_target_gatesets", ())
    if named:
        return next(g for g in gatesets if isinstance(g, cirq.SqrtIswapTargetGateset))
    return gatesets[0] if gatesets else cirq.CZTargetGateset()


def measurements(qubits: Sequence[cirq.Qid]) -> cirq.Moment:
    """The measurement of each IR qubit ``j``, on ``qubits[j]``, under its key ``q{j}``."""
    import cirq

    keys = measurement_keys(len(qubits))
    return cirq.Moment(cirq.measure(q, key=key) for q, key in zip(qubits, keys, strict=True))


def device_circuit(
    converted: CirqCircuit, device: cirq.Device, gateset: cirq.CompilationTargetGateset
) -> cirq.Circuit:
    """``converted`` placed, routed and compiled for ``device``, each qubit measured where
    routing leaves it; checked by the device."""
    import cirq

    graph = device.metadata.nx_graph
    gates = converted.circuit
    routed, placement, moves = cirq.RouteCQC(graph).route_circuit(
        gates, initial_mapper=_embedding(gates, graph)
    )
    final = [moves.get(placement[q], placement[q]) for q in converted.qubits]
    with warnings.catch_warnings():  # Cirq's own use of CircuitOperation, once per merge
        warnings.filterwarnings("ignore", "In cirq 1.6 the default value", FutureWarning)
        compiled = cirq.optimize_for_target_gateset(routed + measurements(final), gateset=gateset)
    compiled = cirq.map_operations(compiled, lambda op, _: _native(op, gateset))
    compiled = cirq.drop_empty_moments(cirq.synchronize_terminal_measurements(compiled))
    try:
        device.validate_circuit(compiled)
    except ValueError as error:
        raise UnsupportedError(
            f"the circuit compiled to {type(gateset).__name__} does not run on the device: {error}"
        ) from error
    return compiled


def measurement_keys(n_qubits: int) -> tuple[str, ...]:
    """The measurement key of each IR qubit, in qubit order."""
    return tuple(f"q{j}" for j in range(n_qubits))


def z_expectations(circuit: Circuit, results: Sequence[cirq.Result]) -> np.ndarray:
    """``(len(results), n_observables)``: the means of ``circuit``'s Z strings over each
    result's shots."""
    keys = measurement_keys(circuit.n_qubits)
    bits = np.stack(
        [np.concatenate([result.measurements[key] for key in keys], axis=1) for result in results]
    )  # (results, shots, qubits)
    signs = 1 - 2 * bits.astype(np.int8)
    return np.stack(
        [signs[..., list(obs.qubits)].prod(axis=-1).mean(axis=-1) for obs in circuit.observables],
        axis=1,
    )


def _virtual_device(name: str, random_state: np.random.RandomState) -> SamplingTarget:
    """The virtual Google processor ``name`` (one of :func:`device_names`)."""
    require(f"the Google device {name!r}", ["cirq_google"], "google")
    import cirq
    import cirq_google
    from cirq_google.engine import engine_validator

    if name not in device_names():
        raise BackendInputError(
            f"unknown device {name!r}; known: {known_names(device_names())} (Google processors "
            f"with their noise, or without it as '<processor>{NOISELESS}'), or a cirq.Device"
        )
    processor_id = name.removesuffix(NOISELESS)
    device = cirq_google.engine.create_device_from_processor_id(processor_id)
    noisy = not name.endswith(NOISELESS)
    if noisy:
        engine = cirq_google.engine.create_default_noisy_quantum_virtual_machine(
            processor_id, cirq.DensityMatrixSimulator, seed=random_state
        )
        processor = engine.get_processor(processor_id)
    else:
        processor = cirq_google.engine.SimulatedLocalProcessor(
            processor_id=processor_id,
            sampler=cirq.Simulator(seed=random_state),
            device=device,
            validator=engine_validator.create_engine_validator(),
            program_validator=engine_validator.create_program_validator(),
        )
    limit = DENSITY_MATRIX_MAX_QUBITS if noisy else STATE_VECTOR_MAX_QUBITS
    return SamplingTarget(
        processor.get_sampler(),
        device,
        target_gateset(device, named=True),
        min(len(device.metadata.qubit_set), limit),
        noisy=noisy,
        max_repetitions=_engine_repetitions(),
        description=f"device {name!r}",
    )


def _check_device(device: object) -> None:
    """Raise unless ``device`` is a ``cirq.Device`` that states its qubits and couplings."""
    import cirq

    if not isinstance(device, cirq.Device):
        raise BackendInputError(
            "device must be a device name (see qrkt.backends.cirq_device.device_names()) or a "
            f"cirq.Device, got {type(device).__name__}"
        )
    if device.metadata is None:
        raise BackendInputError(
            f"device {device!r} states no qubits and couplings (its metadata is None), so "
            "circuits cannot be placed on it; give a device that does, or no device"
        )


def _engine_repetitions() -> int:
    """Quantum Engine's limit on repetitions (parameter sets x shots) in one job."""
    from cirq_google.engine.engine_validator import MAX_TOTAL_REPETITIONS

    return MAX_TOTAL_REPETITIONS


def _embedding(
    circuit: cirq.AbstractCircuit, graph: networkx.Graph
) -> cirq.AbstractInitialMapper | None:
    """A placement that needs no SWAPs: the circuit's interaction graph as a subgraph of the
    device graph, where it is one; ``None`` (RouteCQC's line placement) otherwise.

    An odd cycle never embeds in a bipartite graph (a grid), and the search would try every
    placement to find that out, so it is not searched for.
    """
    import cirq
    import networkx as nx
    from networkx.algorithms.isomorphism import GraphMatcher

    interactions = nx.Graph()
    interactions.add_nodes_from(circuit.all_qubits())
    interactions.add_edges_from(op.qubits for op in circuit.all_operations() if len(op.qubits) == 2)
    if nx.is_bipartite(graph) and not nx.is_bipartite(interactions):
        return None
    placement = next(GraphMatcher(graph, interactions).subgraph_monomorphisms_iter(), None)
    if placement is None:
        return None
    return cirq.HardCodedInitialMapper(
        {logical: physical for physical, logical in placement.items()}
    )


def _native(op: cirq.Operation, gateset: cirq.Gateset) -> cirq.Operation:
    """A single-qubit gate as Google's native one: a Z rotation that the gate set runs stays a
    (virtual) ``ZPowGate``, any other becomes a ``PhasedXZGate``; symbolic exponents stay
    symbolic. Global phases are dropped."""
    import cirq

    gate = op.gate
    if len(op.qubits) != 1 or cirq.is_measurement(op) or isinstance(gate, cirq.PhasedXZGate):
        return op
    (qubit,) = op.qubits
    if isinstance(gate, cirq.ZPowGate):
        rotation = cirq.ZPowGate(exponent=gate.exponent).on(qubit)
        if rotation in gateset:
            return rotation
        return cirq.PhasedXZGate(x_exponent=0, z_exponent=gate.exponent, axis_phase_exponent=0)(
            qubit
        )
    if isinstance(gate, cirq.XPowGate):
        axis: cirq.TParamVal = 0.0
    elif isinstance(gate, cirq.YPowGate):
        axis = 0.5
    elif isinstance(gate, cirq.PhasedXPowGate):
        axis = gate.phase_exponent
    else:
        return cirq.PhasedXZGate.from_matrix(cirq.unitary(op)).on(qubit)
    return cirq.PhasedXZGate(x_exponent=gate.exponent, z_exponent=0, axis_phase_exponent=axis)(
        qubit
    )
