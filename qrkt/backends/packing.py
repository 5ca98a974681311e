"""Circuit packing: k parameter sets of a small circuit on k disjoint regions of a wide device.

A 6-qubit circuit on a 156-qubit device leaves 150 qubits idle, and a device bills by the
shot, not by the qubit. Packing places the circuit on ``k`` disjoint regions of the device
and runs ``k`` parameter sets as ONE circuit execution, so a batch of ``B`` parameter sets
costs ``ceil(B / k)`` executions instead of ``B``.

1. :func:`choose_regions` picks the regions: simple paths of ``width`` qubits in the device's
   (undirected) coupling graph, ranked by an estimated success probability
   (:attr:`Region.fidelity`) from the device target's reported errors, best first, with
   ``gap`` idle qubits between regions, until none is left, ``count`` are chosen, or the next
   one falls below ``floor`` times the best one's fidelity.
2. :func:`pack` transpiles the circuit once per region shape (the device's basis gates and
   its coupling map reduced to the region, so routing never leaves the region), places each
   copy on its region's physical qubits in one device-wide circuit (:attr:`PackedCircuit.wide`)
   and measures region ``r``'s IR qubit ``j`` into bit ``j`` of the classical register
   ``f"r{r}"``. Input parameters get one copy per region (``x[3]`` of region 2 is
   ``r2_x3``); weight parameters (``w[i]``) are shared, since every parameter set of a call
   has the same weights.
3. :meth:`PackedCircuit.values` lays a batch out in rows: parameter set ``b`` goes to row
   ``b // k``, region ``b % k``; the empty regions of the last row repeat the last parameter
   set (their results are dropped). :meth:`PackedCircuit.expectations` reads every region's
   register back into ``(B, n_observables)`` in sample order.

Locally, a device too wide for Aer (fake_fez has 156 qubits) is simulated a few regions at a
time: :meth:`PackedCircuit.local_groups` puts regions side by side on their own qubits alone,
to be run on :func:`region_device`, a device that holds only those qubits with their gates,
errors and timings (so a local simulator builds a noise model of a few qubits, not of 156). A
noise model without crosstalk, like the fake devices', makes regions independent, so this is
exact for that model. Real devices add crosstalk between neighbouring
qubits that the fake devices do not model; ``gap`` keeps regions apart for that reason (see
qiskit-experiments' ``ParallelExperiment`` for the same idea: disjoint physical qubits, one
result marginalised per component).

A device without a coupling map (``AerSimulator``) connects every qubit to every other and
simulates every packed qubit at once, which gains nothing: :func:`choose_regions` returns one
region, qubits ``0..width-1``.

Example::

    regions = choose_regions(device, circuit.n_qubits)
    packed = pack(circuit, device, regions)
    values = packed.values(inputs, weights)  # (ceil(B / k), n_params)
    result = sampler.run([packed.sampler_pub(values, shots)]).result()
    z = packed.expectations(result[0], len(inputs))  # (B, n_observables)

Qiskit is imported only when a function here is called.
"""

from __future__ import annotations

import logging
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qrkt.backends.qiskit_compile import (
    check_optimization_level,
    circuit_duration,
    circuit_sampler_pub,
    compile_circuit,
    z_expectations,
)
from qrkt.circuits.ir import Circuit, Param, ParamKind, input_param
from qrkt.circuits.qiskit_convert import parse_parameter_name, require_qiskit
from qrkt.errors import BackendInputError, CircuitError, UnsupportedError, check_int, is_integer

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.providers import BackendV2
    from qiskit.transpiler import Target

__all__ = [
    "LocalGroup",
    "PackedCircuit",
    "Region",
    "choose_regions",
    "pack",
    "region_device",
    "region_register",
]

logger = logging.getLogger(__name__)

MAX_PARTIAL_PATHS = 1_000_000
"""Above this many partial paths, :func:`choose_regions` keeps only the best ones from each
starting qubit (a beam search), so dense graphs stay tractable. Heavy-hex devices, whose
qubits have at most three neighbours, stay far below it for the widths of qrkt's circuits."""

_NOT_ERRORS = frozenset({"measure", "reset", "delay"})  # one-qubit operations that are not gates
_REGION_INPUT = re.compile(r"r(\d+)_x(\d+)")


def region_register(region: int) -> str:
    """The name of the classical register region ``region`` is measured into: ``"r{region}"``."""
    return f"r{region}"


@dataclass(frozen=True)
class Region:
    """A connected set of physical qubits that holds one copy of the circuit.

    Attributes:
      qubits: the physical qubits, a simple path in the device's coupling graph, in path order.
      readout_error: mean measurement error of the qubits.
      gate_error: mean error of the two-qubit gates on the path's edges (for each edge, the
        best native two-qubit gate in either direction); 0 for a single qubit.
      single_qubit_error: mean, over the qubits, of the worst native one-qubit gate's error
        (``sx``, ``x``; ``rz`` is virtual and error-free on IBM devices).
      fidelity: the estimated success probability the regions are ranked by: the product over
        the qubits of ``(1 - readout error) (1 - single-qubit error)`` times the product over
        the path's edges of ``(1 - two-qubit error)``. It counts each qubit and edge once,
        whatever the circuit does there: a ranking, not a prediction of the circuit's
        fidelity. Errors a device does not report count as 0.
    """

    qubits: tuple[int, ...]
    readout_error: float = 0.0
    gate_error: float = 0.0
    single_qubit_error: float = 0.0
    fidelity: float = 1.0

    def __post_init__(self) -> None:
        qubits = tuple(self.qubits) if isinstance(self.qubits, Sequence) else None
        if not qubits or not all(is_integer(q) and q >= 0 for q in qubits):
            raise BackendInputError(
                f"a region's qubits must be a non-empty sequence of integers >= 0, got "
                f"{self.qubits!r}; build regions with choose_regions(device, width)"
            )
        if len(set(qubits)) != len(qubits):
            raise BackendInputError(f"a region names a qubit twice: {qubits}")
        object.__setattr__(self, "qubits", tuple(int(q) for q in qubits))

    @property
    def width(self) -> int:
        return len(self.qubits)

    def to_dict(self) -> dict[str, Any]:
        """The region as plain numbers and lists, for reports and JSON."""
        data = asdict(self)
        data["qubits"] = list(self.qubits)
        return data


def choose_regions(
    device: BackendV2,
    width: int,
    *,
    count: int | None = None,
    floor: float = 0.9,
    gap: int = 1,
) -> tuple[Region, ...]:
    """Disjoint regions of ``width`` qubits on ``device``, best first.

    Every simple path of ``width`` qubits in the device's coupling graph (edge directions
    ignored; qubits that cannot be measured left out) is a candidate, ranked by
    :attr:`Region.fidelity` from ``device.target``. Regions are taken greedily, best first;
    each one taken blocks its qubits and every qubit within ``gap`` hops of them, so qubits of
    two regions are at least ``gap + 1`` hops apart. Ties go to the lexicographically smallest
    qubits, so the choice is deterministic.

    Args:
      device: a ``BackendV2`` (an IBM device, a fake one, ``GenericBackendV2``).
      width: qubits per region: the circuit's ``n_qubits``.
      count: the number of regions wanted; ``None`` for as many as the other limits allow.
      floor: stop before a region whose fidelity is below ``floor`` times the best region's;
        0 switches the floor off. It applies with ``count`` too.
      gap: idle qubits kept between regions (hops); 0 lets regions touch.

    Returns:
      The regions, best first; at least one.

    Raises:
      UnsupportedError: no path of ``width`` qubits exists, or fewer than ``count`` regions
        fit (the message says how many do). On a device without a coupling map (Aer), one
        region of qubits ``0..width-1`` is returned, and a ``count`` above 1 is refused.
      BackendInputError: an argument is out of range.
    """
    require_qiskit("choose_regions")
    n_qubits = _device_qubits(device)
    check_int("width", width, minimum=1, maximum=n_qubits, error=BackendInputError)
    if count is not None:
        check_int("count", count, minimum=1, error=BackendInputError)
    check_int("gap", gap, minimum=0, error=BackendInputError)
    if isinstance(floor, bool) or not isinstance(floor, numbers.Real) or not 0 <= floor <= 1:
        raise BackendInputError(
            f"floor must be a number in [0, 1] (a share of the best region's fidelity), got "
            f"{floor!r}; 0 switches the floor off"
        )
    errors = _DeviceErrors.read(device.target, n_qubits)
    coupling = device.coupling_map
    if coupling is None:
        if count is not None and count > 1:
            raise UnsupportedError(
                f"device {device.name!r} has no coupling map (every qubit reaches every other), "
                f"so it simulates all packed qubits at once and packing gains nothing; got "
                f"count={count}, but only 1 region is offered; use count=None or 1"
            )
        return (errors.region(np.arange(width)),)

    neighbours = _neighbours(coupling.get_edges(), n_qubits, errors.measurable)
    paths = _paths(neighbours, width, errors)
    if len(paths) == 0:
        raise UnsupportedError(
            f"device {device.name!r} has no connected path of {width} measurable qubits; "
            "use a narrower circuit or another device"
        )
    scores = errors.log_fidelity(paths)
    # Best first; ties by the qubits, smallest first (lexsort's last key is the primary one).
    order = np.lexsort((*paths.T[::-1], -scores))
    paths, scores = paths[order], scores[order]
    threshold = scores[0] + (math.log(floor) if floor > 0 else -math.inf)
    alive = np.ones(len(paths), dtype=bool)
    chosen: list[int] = []
    while alive.any() and (count is None or len(chosen) < count):
        index = int(np.argmax(alive))  # the best path still free
        if scores[index] < threshold:
            break
        chosen.append(index)
        blocked = _within(neighbours, paths[index], gap, n_qubits)
        alive &= ~blocked[paths].any(axis=1)
    if count is not None and len(chosen) < count:
        raise UnsupportedError(
            f"device {device.name!r} fits {len(chosen)} region(s) of {width} qubits with "
            f"gap={gap} and floor={floor}, but count={count} were asked for; ask for at most "
            f"{len(chosen)}, or lower gap or floor (floor=0 switches it off)"
        )
    regions = tuple(errors.region(paths[i]) for i in chosen)
    logger.info(
        "chose %d region(s) of %d qubits on %s (fidelity %.3g to %.3g)",
        len(regions),
        width,
        device.name,
        regions[0].fidelity,
        regions[-1].fidelity,
    )
    return regions


@dataclass(frozen=True, eq=False)
class LocalGroup:
    """Regions simulated together by a local simulator: their circuits side by side on their
    own qubits alone (region ``regions[0]``'s first), to run on
    ``region_device(device, [packed.regions[r] for r in regions])``."""

    regions: tuple[int, ...]
    circuit: QuantumCircuit


@dataclass(frozen=True, eq=False)
class PackedCircuit:
    """A circuit packed onto disjoint regions of a device, built by :func:`pack`.

    Attributes:
      circuit: the IR circuit.
      regions: where the copies are, region ``r`` measured into register ``f"r{r}"``.
      wide: the device-wide ISA circuit holding every region.
      region_circuits: one circuit per region on that region's qubits alone (qubit ``i`` is
        ``regions[r].qubits[i]``; register ``f"r{r}"`` and parameters named as in ``wide``),
        ISA for :func:`region_device`, for simulating a device too wide for Aer region by
        region.
      device: the device's name.
      optimization_level: of the preset pass manager each region was transpiled with.
      depth: the depth of the deepest region's circuit, measurements included.
      two_qubit_gates: two-qubit gates of the region with the most, per parameter set.
      duration_seconds: how long ``wide`` takes on the device, from its gate durations (the
        regions run side by side); 0 where the device reports no durations.
    """

    circuit: Circuit
    regions: tuple[Region, ...]
    wide: QuantumCircuit
    region_circuits: tuple[QuantumCircuit, ...]
    device: str
    optimization_level: int
    depth: int
    two_qubit_gates: int
    duration_seconds: float

    @property
    def n_regions(self) -> int:
        """``k``: parameter sets per execution of ``wide``."""
        return len(self.regions)

    def rows(self, batch: int) -> int:
        """Executions of ``wide`` for ``batch`` parameter sets: ``ceil(batch / k)``."""
        return -(-batch // self.n_regions)

    def values(
        self, inputs: np.ndarray, weights: np.ndarray, *, region: int | LocalGroup | None = None
    ) -> np.ndarray:
        """Parameter values for ``wide`` (or for ``region_circuits[region]``), one row per
        execution: shape ``(ceil(B / k), n_params)``.

        Parameter set ``b`` is row ``b // k`` of region ``b % k``; the empty regions of the
        last row repeat the last parameter set. Columns follow the circuit's ``parameters``
        (the order a primitive binds a plain array in), each looked up by its slot.

        Args:
          inputs: ``(B, n_inputs)``.
          weights: ``(n_weights,)``, shared by every region.
          region: ``None`` for ``wide``, else the region whose circuit is bound, or a
            :class:`LocalGroup`.
        """
        inputs, weights = self._check_arrays(inputs, weights)
        qc = self._circuit_of(region)
        rows, k = self.rows(len(inputs)), self.n_regions
        padding = np.repeat(inputs[-1:], rows * k - len(inputs), axis=0)
        laid_out = np.concatenate([inputs, padding]).reshape(rows, k, inputs.shape[1])
        parameters = tuple(qc.parameters)
        values = np.empty((rows, len(parameters)))
        for column, parameter in enumerate(parameters):
            owner, slot = _slot(parameter)
            if slot.kind is ParamKind.INPUT:
                values[:, column] = laid_out[:, owner, slot.index]
            else:
                values[:, column] = weights[slot.index]
        return values

    def sampler_pub(
        self, values: np.ndarray, shots: int, *, region: int | LocalGroup | None = None
    ) -> tuple[Any, ...]:
        """One sampler PUB ``(circuit, bindings, shots)`` for ``values`` from :meth:`values`
        (same ``region``), bound by parameter object; read it back with :meth:`expectations`
        (or :meth:`local_expectations`)."""
        return circuit_sampler_pub(self._circuit_of(region), values, shots)

    def expectations(self, pub_result: Any, batch: int) -> np.ndarray:
        """``(batch, n_observables)`` in sample order from a sampler result of ``wide``
        (e.g. ``result[0]`` of a job run with :meth:`sampler_pub`)."""
        self._check_batch(batch)
        per_region = [self._region_values(pub_result, r, batch) for r in range(self.n_regions)]
        return _interleave(per_region, batch)

    def local_groups(self, max_qubits: int) -> tuple[LocalGroup, ...]:
        """The regions in consecutive groups of at most ``max_qubits`` qubits (one region at
        least), each group's circuits side by side on the group's qubits alone."""
        check_int("max_qubits", max_qubits, minimum=1, error=BackendInputError)
        per_group = max(1, max_qubits // self.circuit.n_qubits)
        groups = []
        for start in range(0, self.n_regions, per_group):
            members = tuple(range(start, min(start + per_group, self.n_regions)))
            circuit = _side_by_side([self.region_circuits[r] for r in members])
            groups.append(LocalGroup(members, circuit))
        return tuple(groups)

    def local_expectations(
        self, pub_results: Sequence[Any], groups: Sequence[LocalGroup], batch: int
    ) -> np.ndarray:
        """``(batch, n_observables)`` in sample order from the sampler results of the
        ``groups``' circuits (one result per group, covering every region)."""
        self._check_batch(batch)
        covered = sorted(r for group in groups for r in group.regions)
        if len(pub_results) != len(groups) or covered != list(range(self.n_regions)):
            raise BackendInputError(
                f"local_expectations needs one result per group and groups covering regions "
                f"0..{self.n_regions - 1}, got {len(pub_results)} result(s) for regions "
                f"{covered}; run every group of local_groups()"
            )
        per_region = {
            r: self._region_values(result, r, batch)
            for group, result in zip(groups, pub_results, strict=True)
            for r in group.regions
        }
        return _interleave([per_region[r] for r in range(self.n_regions)], batch)

    def to_dict(self) -> dict[str, Any]:
        """Where and how the circuit runs, as plain values, for reports."""
        return {
            "device": self.device,
            "regions": [region.to_dict() for region in self.regions],
            "optimization_level": self.optimization_level,
            "depth": self.depth,
            "two_qubit_gates": self.two_qubit_gates,
            "duration_seconds": self.duration_seconds,
        }

    # --- helpers --------------------------------------------------------------------------------

    def _circuit_of(self, region: int | LocalGroup | None) -> QuantumCircuit:
        if region is None:
            return self.wide
        if isinstance(region, LocalGroup):
            return region.circuit
        if not is_integer(region) or not 0 <= region < self.n_regions:
            raise BackendInputError(
                f"region must be None (the wide circuit) or an integer in [0, "
                f"{self.n_regions}), got {region!r}"
            )
        return self.region_circuits[region]

    def _check_arrays(self, inputs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, ...]:
        inputs = np.asarray(inputs, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64)
        n_inputs, n_weights = self.circuit.n_inputs, self.circuit.n_weights
        if inputs.ndim != 2 or inputs.shape[0] < 1 or inputs.shape[1] != n_inputs:
            raise BackendInputError(
                f"inputs must have shape (B, {n_inputs}) with B >= 1, got {inputs.shape}"
            )
        if weights.shape != (n_weights,):
            raise BackendInputError(
                f"weights must have shape ({n_weights},), got {weights.shape}; the weights are "
                "shared by every parameter set of a call"
            )
        return inputs, weights

    def _check_batch(self, batch: int) -> None:
        check_int("batch", batch, minimum=1, error=BackendInputError)

    def _region_values(self, pub_result: Any, region: int, batch: int) -> np.ndarray:
        """``(rows, n_observables)`` of one region from its register in ``pub_result``."""
        name, rows = region_register(region), self.rows(batch)
        bits = getattr(pub_result.data, name, None)
        if bits is None:
            raise BackendInputError(
                f"the result has no register {name!r} (it has "
                f"{', '.join(pub_result.data.keys()) or 'none'}); pass a sampler result of "
                f"packed.wide or packed.region_circuits[{region}]"
            )
        if bits.size == 1 and rows > 1:  # a parameter-free circuit: split the pooled shots
            bits = bits.reshape(rows, bits.num_shots // rows)
        if bits.size != rows:
            raise BackendInputError(
                f"register {name!r} holds {bits.size} parameter set(s), but batch={batch} "
                f"needs {rows} rows of {self.n_regions}; pass the batch size the values were "
                "built for"
            )
        return z_expectations(bits, self.circuit)


def pack(
    circuit: Circuit,
    device: BackendV2,
    regions: Sequence[Region],
    optimization_level: int = 1,
) -> PackedCircuit:
    """``circuit`` once on every region of ``device``, as one device-wide circuit.

    Each region gets the circuit's logical sampler circuit
    (:func:`~qrkt.backends.qiskit_compile.compile_circuit`) transpiled, seeded, for the
    device's standard basis gates and its coupling map reduced to the region's qubits, so
    routing never uses a qubit outside the region; regions whose reduced coupling maps are
    the same share one transpilation. Without a coupling map (Aer), it is transpiled for the
    device's target. Region ``r``'s IR qubit ``j`` is measured into bit ``j`` of register
    ``f"r{r}"``; its inputs ``x[i]`` become parameters ``r{r}_x{i}``, and the weights ``w[i]``
    are shared by all regions. Check the result against the device with
    :func:`qrkt.backends.ibm_runtime.check_isa` before submitting it.

    Raises:
      BackendInputError: ``regions`` is empty, a region's width is not the circuit's, regions
        overlap, or a region is not connected on the device.
    """
    require_qiskit("pack")
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"pack needs a qrkt Circuit, got {type(circuit).__name__}")
    check_optimization_level(optimization_level)
    regions = _check_regions(tuple(regions), circuit, device)
    logical = compile_circuit(circuit).sampler_circuit
    shapes: dict[tuple[tuple[int, int], ...] | None, QuantumCircuit] = {}
    placed = []
    for r, region in enumerate(regions):
        coupling = _reduced_coupling(device, region)
        key = None if coupling is None else tuple(sorted(coupling.get_edges()))
        if key not in shapes:
            shapes[key] = _transpile(logical, device, coupling, optimization_level)
        placed.append(_renamed(shapes[key], r))

    wide = _device_circuit(device, regions, range(len(regions)))
    for r, (region, isa) in enumerate(zip(regions, placed, strict=True)):
        register = next(c for c in wide.cregs if c.name == region_register(r))
        wide.compose(isa, qubits=list(region.qubits), clbits=list(register), inplace=True)
    region_circuits = [_own_register(isa, r) for r, isa in enumerate(placed)]
    two_qubit = [sum(1 for op in qc.data if op.operation.num_qubits == 2) for qc in placed]
    return PackedCircuit(
        circuit=circuit,
        regions=regions,
        wide=wide,
        region_circuits=tuple(region_circuits),
        device=device.name,
        optimization_level=optimization_level,
        depth=max(qc.depth() for qc in placed),
        two_qubit_gates=max(two_qubit),
        duration_seconds=circuit_duration(wide, device.target),
    )


# --- region choice ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DeviceErrors:
    """The target's errors as arrays: per qubit, and per undirected edge (dense matrix)."""

    readout: np.ndarray  # (n,)
    single: np.ndarray  # (n,)
    pair: np.ndarray  # (n, n), symmetric; 0 where unknown
    measurable: np.ndarray  # (n,) bool

    @classmethod
    def read(cls, target: Target, n_qubits: int) -> _DeviceErrors:
        from qiskit.circuit import Instruction

        readout, single = np.zeros(n_qubits), np.zeros(n_qubits)
        pair = np.full((n_qubits, n_qubits), np.inf)
        measurable = np.ones(n_qubits, dtype=bool)
        names = set(target.operation_names) if target is not None else set()
        for name in names:
            operation = target.operation_from_name(name)
            if not isinstance(operation, Instruction):  # variadic (control flow): no errors
                continue
            properties = target[name]
            if name == "measure" and None not in properties:  # only these qubits measure
                measurable[:] = False
                measurable[[qargs[0] for qargs in properties if qargs]] = True
            for qargs, props in properties.items():
                if not qargs or any(q >= n_qubits for q in qargs):
                    continue
                error = _error(props)
                if name == "measure":
                    readout[qargs[0]] = error
                elif operation.num_qubits == 1 and name not in _NOT_ERRORS:
                    single[qargs[0]] = max(single[qargs[0]], error)
                elif operation.num_qubits == 2:  # the best gate on the edge, either direction
                    a, b = qargs
                    pair[a, b] = pair[b, a] = min(pair[a, b], error)
        pair[np.isinf(pair)] = 0.0
        return cls(readout, single, pair, measurable)

    def qubit_log(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log1p(-self.readout) + np.log1p(-self.single)

    def log_fidelity(self, paths: np.ndarray) -> np.ndarray:
        """``log`` of :attr:`Region.fidelity` for each row of ``paths`` ``(P, width)``."""
        with np.errstate(divide="ignore"):
            score = self.qubit_log()[paths].sum(axis=1)
            if paths.shape[1] > 1:
                score += np.log1p(-self.pair[paths[:, :-1], paths[:, 1:]]).sum(axis=1)
        return score

    def region(self, path: np.ndarray) -> Region:
        path = np.asarray(path)
        edges = self.pair[path[:-1], path[1:]]
        return Region(
            qubits=tuple(int(q) for q in path),
            readout_error=float(self.readout[path].mean()),
            gate_error=float(edges.mean()) if len(edges) else 0.0,
            single_qubit_error=float(self.single[path].mean()),
            fidelity=float(np.exp(self.log_fidelity(path[None, :])[0])),
        )


def _error(props: Any) -> float:
    """An instruction's reported error, clipped to [0, 1]; 0 where it reports none."""
    error = getattr(props, "error", None)
    if error is None or not math.isfinite(error):
        return 0.0
    return min(max(float(error), 0.0), 1.0)


def _neighbours(edges: Sequence[tuple[int, int]], n_qubits: int, usable: np.ndarray) -> np.ndarray:
    """``(n, max_degree)``: each qubit's neighbours in the undirected graph of usable qubits,
    padded with -1."""
    adjacent: list[set[int]] = [set() for _ in range(n_qubits)]
    for a, b in edges:
        if a != b and a < n_qubits and b < n_qubits and usable[a] and usable[b]:
            adjacent[a].add(b)
            adjacent[b].add(a)
    degree = max((len(s) for s in adjacent), default=0)
    table = np.full((n_qubits, max(degree, 1)), -1, dtype=np.int64)
    for qubit, others in enumerate(adjacent):
        table[qubit, : len(others)] = sorted(others)
    return table


def _paths(neighbours: np.ndarray, width: int, errors: _DeviceErrors) -> np.ndarray:
    """Every simple path of ``width`` usable qubits, once (``(P, width)``), grown one qubit at
    a time for all paths together; above :data:`MAX_PARTIAL_PATHS`, the best partial paths of
    each starting qubit are kept."""
    paths = np.flatnonzero(errors.measurable)[:, None]
    for _ in range(width - 1):
        after = neighbours[paths[:, -1]]  # (P, degree)
        fresh = (after >= 0) & ~(after[:, :, None] == paths[:, None, :]).any(axis=2)
        row, column = np.nonzero(fresh)
        paths = np.concatenate([paths[row], after[row, column][:, None]], axis=1)
        if len(paths) > MAX_PARTIAL_PATHS:
            paths = _best_per_start(paths, errors)
    if width > 1:  # a path is found from both ends: keep it once, from its lower end
        flip = paths[:, 0] > paths[:, -1]
        paths[flip] = paths[flip, ::-1]
        paths = np.unique(paths, axis=0)
    return paths


def _best_per_start(paths: np.ndarray, errors: _DeviceErrors) -> np.ndarray:
    """The best ``MAX_PARTIAL_PATHS / n_starts`` partial paths from each starting qubit."""
    keep = max(1, MAX_PARTIAL_PATHS // len(np.unique(paths[:, 0])))
    order = np.lexsort((-errors.log_fidelity(paths), paths[:, 0]))
    ordered_starts = paths[order, 0]
    group_start = np.searchsorted(ordered_starts, ordered_starts, side="left")
    rank = np.arange(len(order)) - group_start
    logger.debug("beam search: kept %d partial paths per starting qubit", keep)
    return paths[order[rank < keep]]


def _within(neighbours: np.ndarray, qubits: np.ndarray, hops: int, n_qubits: int) -> np.ndarray:
    """``(n,)`` bool: ``qubits`` and every qubit within ``hops`` of one of them."""
    reached = np.zeros(n_qubits, dtype=bool)
    reached[qubits] = True
    frontier = np.asarray(qubits)
    for _ in range(hops):
        following = neighbours[frontier].ravel()
        following = np.unique(following[following >= 0])
        frontier = following[~reached[following]]
        if len(frontier) == 0:
            break
        reached[frontier] = True
    return reached


# --- packing ------------------------------------------------------------------------------------


def _check_regions(regions: tuple[Region, ...], circuit: Circuit, device: BackendV2) -> tuple:
    n_qubits = _device_qubits(device)
    if not regions or not all(isinstance(region, Region) for region in regions):
        raise BackendInputError(
            f"pack needs a non-empty sequence of Region values, got {regions!r}; build them "
            "with choose_regions(device, circuit.n_qubits)"
        )
    used: dict[int, int] = {}
    for r, region in enumerate(regions):
        if region.width != circuit.n_qubits:
            raise BackendInputError(
                f"region {r} has {region.width} qubits {region.qubits}, but the circuit has "
                f"{circuit.n_qubits}; choose regions with choose_regions(device, "
                f"{circuit.n_qubits})"
            )
        for qubit in region.qubits:
            if qubit >= n_qubits:
                raise BackendInputError(
                    f"region {r} uses qubit {qubit}, but device {device.name!r} has qubits "
                    f"0..{n_qubits - 1}; choose regions for this device"
                )
            if qubit in used:
                raise BackendInputError(
                    f"regions {used[qubit]} and {r} both use qubit {qubit}; regions must be "
                    "disjoint"
                )
            used[qubit] = r
    return regions


def _reduced_coupling(device: BackendV2, region: Region) -> Any:
    """The device's coupling map on the region's qubits (region qubit ``i`` is node ``i``),
    or ``None`` where the device has none."""
    from qiskit.transpiler import CouplingError

    coupling = device.coupling_map
    if coupling is None:
        return None
    try:
        return coupling.reduce(list(region.qubits))
    except CouplingError:
        raise BackendInputError(
            f"region qubits {region.qubits} are not connected on device {device.name!r}; "
            "choose regions with choose_regions(device, width)"
        ) from None


def _transpile(
    logical: QuantumCircuit, device: BackendV2, coupling: Any, optimization_level: int
) -> QuantumCircuit:
    """``logical`` on the region's qubits ``0..width-1`` (region-local indices)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.transpiler import generate_preset_pass_manager

    if coupling is None:
        manager = generate_preset_pass_manager(
            optimization_level=optimization_level, target=device.target, seed_transpiler=0
        )
    else:
        standard = get_standard_gate_name_mapping()
        basis = [name for name in device.target.operation_names if name in standard]
        manager = generate_preset_pass_manager(
            optimization_level=optimization_level,
            basis_gates=basis,
            coupling_map=coupling,
            seed_transpiler=0,
        )
    isa = manager.run(logical)
    if isa.num_qubits != logical.num_qubits:
        raise UnsupportedError(
            f"transpiling for device {device.name!r} gave {isa.num_qubits} qubits for a "
            f"{logical.num_qubits}-qubit region; pack on a device with a coupling map"
        )
    return isa


def _renamed(isa: QuantumCircuit, region: int) -> QuantumCircuit:
    """``isa`` with its input parameters ``x[i]`` renamed ``r{region}_x{i}`` (also inside
    parameter expressions); weights are kept, so every region shares them."""
    from qiskit.circuit import Parameter

    renames = {}
    for parameter in isa.parameters:
        slot = parse_parameter_name(parameter.name)
        if slot is not None and slot.kind is ParamKind.INPUT:
            renames[parameter] = Parameter(f"r{region}_x{slot.index}")
    return isa.assign_parameters(renames, inplace=False) if renames else isa


def _device_circuit(
    device: BackendV2, regions: tuple[Region, ...], which: Sequence[int]
) -> QuantumCircuit:
    """An empty circuit on every qubit of ``device`` with the registers of regions ``which``."""
    from qiskit import ClassicalRegister, QuantumCircuit

    qc = QuantumCircuit(_device_qubits(device))
    for r in which:
        qc.add_register(ClassicalRegister(regions[r].width, region_register(r)))
    return qc


def _side_by_side(circuits: Sequence[QuantumCircuit]) -> QuantumCircuit:
    """``circuits`` on consecutive blocks of qubits, each keeping its own registers."""
    from qiskit import QuantumCircuit

    joined = QuantumCircuit(sum(qc.num_qubits for qc in circuits))
    start = 0
    for qc in circuits:
        for register in qc.cregs:
            joined.add_register(register)
        joined.compose(
            qc, qubits=range(start, start + qc.num_qubits), clbits=qc.clbits, inplace=True
        )
        start += qc.num_qubits
    return joined


def _own_register(isa: QuantumCircuit, region: int) -> QuantumCircuit:
    """``isa`` (region-local qubits) measuring into register ``f"r{region}"``."""
    from qiskit import ClassicalRegister, QuantumCircuit

    own = QuantumCircuit(isa.num_qubits)
    register = ClassicalRegister(isa.num_clbits, region_register(region))
    own.add_register(register)
    own.compose(isa, qubits=range(isa.num_qubits), clbits=list(register), inplace=True)
    return own


def region_device(device: BackendV2, regions: Sequence[Region]) -> BackendV2:
    """A device holding only the qubits of ``regions``, region after region (a
    :class:`LocalGroup`'s layout), with their gates, gate and readout errors, durations and
    T1/T2 from ``device``'s target: what a local simulator needs to simulate those regions with
    exactly their qubits' noise."""
    from qiskit.providers import BackendV2 as Base
    from qiskit.providers import Options
    from qiskit.transpiler import Target

    source = device.target
    qubits = [qubit for region in regions for qubit in region.qubits]
    index = {qubit: i for i, qubit in enumerate(qubits)}
    properties = source.qubit_properties
    target = Target(
        description=f"{device.name} qubits {qubits}",
        num_qubits=len(qubits),
        dt=source.dt,
        qubit_properties=None if properties is None else [properties[q] for q in qubits],
    )
    for name in source.operation_names:
        kept = {
            tuple(index[q] for q in qargs): props
            for qargs, props in source[name].items()
            if qargs is not None and all(q in index for q in qargs)
        }
        operation = source.operation_from_name(name)
        if None in source[name]:  # a global instruction (control flow)
            target.add_instruction(operation, name=name)
        elif kept:
            target.add_instruction(operation, kept, name=name)

    class RegionDevice(Base):
        """Simulation only: :func:`qrkt.backends.packing.region_device`."""

        @property
        def target(self) -> Target:
            return target

        @property
        def max_circuits(self) -> None:
            return None

        @classmethod
        def _default_options(cls) -> Options:
            return Options()

        def run(self, run_input: Any, **options: Any) -> Any:
            raise UnsupportedError(
                f"{self.name} is a description of some qubits of {device.name!r} for local "
                "simulators; run circuits on a simulator built from it"
            )

    return RegionDevice(name=f"{device.name}-qubits-{'-'.join(map(str, qubits))}")


def _slot(parameter: Parameter) -> tuple[int | None, Param]:
    """The region (``None`` for a shared weight) and IR slot of a packed circuit's parameter,
    by name: ``r{r}_x{i}`` for inputs, ``w[i]`` for weights."""
    match = _REGION_INPUT.fullmatch(parameter.name)
    if match is not None:
        return int(match.group(1)), input_param(int(match.group(2)))
    slot = parse_parameter_name(parameter.name)
    if slot is None or slot.kind is not ParamKind.WEIGHT:
        raise CircuitError(
            f"packed circuit parameter {parameter.name!r} is neither a region input "
            "(r{region}_x{i}) nor a weight (w[i]); build packed circuits with pack()"
        )
    return None, slot


def _interleave(per_region: list[np.ndarray], batch: int) -> np.ndarray:
    """Rows ``(rows, n_obs)`` of each region back into sample order, ``(batch, n_obs)``:
    sample ``b`` is row ``b // k`` of region ``b % k``."""
    stacked = np.stack(per_region, axis=1)  # (rows, k, n_obs)
    return stacked.reshape(-1, stacked.shape[-1])[:batch]


def _device_qubits(device: BackendV2) -> int:
    n_qubits = getattr(device, "num_qubits", None)
    if not is_integer(n_qubits) or n_qubits < 1:
        raise BackendInputError(
            f"device must be a Qiskit BackendV2 with num_qubits >= 1, got {device!r}"
        )
    return int(n_qubits)
