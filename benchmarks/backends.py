"""Forward and gradient timings and memory of the ``qrkt`` and ``cara`` ansätze on qrkt's JAX
backends and host backends (:data:`HOST_BACKENDS`), against PennyLane's ``default.qubit`` and
a hand-written JAX statevector (for the thesis's one-layer ``qrkt`` circuit only).

Run from the repository root::

    python -m benchmarks.backends            # one-layer qrkt; n in 2..12, B in 1, 64, 1024
    python -m benchmarks.backends --quick    # n in 2, 4; B in 1, 64: for CI
    python -m benchmarks.backends --ansatze qrkt,cara --layers 1,2,3,4 --widths 4,8,12,16

:mod:`benchmarks.backends_report` turns results files into one table of every cell.

``jax`` is qrkt's simulator with its defaults, except that it never reads from the product
state; ``jax-clifford`` is the default, product-state readout, where the circuit allows it
(one layer).

Every candidate is a JAX function ``f(x (B, n), w (n,)) -> (B, n)``; the forward pass is
``jax.jit(f)`` and the gradient ``jax.jit(jax.grad(lambda x, w: f(x, w).sum(), (0, 1)))``.
The first call's time less the steady time is reported as compile time; the steady time is
the median of repeated calls, each ended by ``block_until_ready``. "handwritten" is the
fastest of the variants in :mod:`benchmarks.handwritten` at each width and batch (forward and
gradient may pick different ones; ``--quick`` times only "flat"). Everything runs in complex64
with JAX's default (x64 off). PennyLane is measured only where it is installed; it is no qrkt
dependency. Memory is what XLA assigns to a compiled call's outputs and temporaries
(:func:`~benchmarks.timing.compiled_mib`), next to the batch's state, ``B 2^n`` complex64
amplitudes; it is not measured for host backends, whose memory is outside XLA.

A candidate is not timed where its gradient would take longer than ``--max-call-s`` a call,
estimated from its smaller batch of the same circuit in this run, scaled linearly; the
results file lists those cells under ``over_budget``.

A host backend runs through :mod:`qrkt.backends.bridge` like in a QuantumLayer: the forward
pass is one ``backend.run`` in a ``pure_callback``, the gradient one more host call,
``backend.vjp``: a run of all ``2 K B`` parameter-shift points for most (so their "grad"
column is the cost of a parameter-shift gradient next to the autodiff gradients of the JAX
backends, and their batch is capped at ``HOST_MAX_BATCH``), TFQ's adjoint gradient for ``tfq``.
Host backends compute in their own precision: float64 for Aer and Cirq, float32 for TFQ.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import operator
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np
from jax.stages import Compiled

from benchmarks.handwritten import DENSE_MAX_QUBITS, VARIANTS, make_handwritten
from benchmarks.recording import int_list, name_list, run_record, write_report
from benchmarks.timing import Fn, Settings, compiled_mib, gradient, time_calls
from qrkt.backends.base import JaxBackend
from qrkt.backends.bridge import expectation_function
from qrkt.backends.fused_program import compile_program
from qrkt.backends.registry import backend_entry, installed_backends
from qrkt.circuits.ansatz import build_ansatz
from qrkt.circuits.ir import Param, ParamKind

Factory = Callable[[str, int, int], Fn]  # (ansatz, n, layers) -> f

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "backends.json"
#: Backends without autodiff that are timed too, through the bridge. Those whose gradient is
#: the parameter-shift rule only up to HOST_MAX_BATCH: it runs 2 K B circuits (73,728 at n=12,
#: B=1024; minutes a call). TFQ has an adjoint gradient of its own.
HOST_BACKENDS = ("qiskit_aer", "ibm_runtime", "cirq", "tfq")
ADJOINT_HOST_BACKENDS = ("tfq",)
HOST_MAX_BATCH = 64
MAX_CALL_S = 30.0  # default --max-call-s: seconds a gradient call may be estimated to take
FULL = Settings(budget_s=2.0, min_repeats=5, max_repeats=200)
QUICK = Settings(budget_s=0.05, min_repeats=3, max_repeats=20)


@dataclass
class Measurement:
    """One candidate at one width and batch: steady times (ms) and compile times (s)."""

    backend: str
    n: int
    batch: int
    forward_ms: float
    grad_ms: float
    compile_forward_s: float
    compile_grad_s: float
    repeats: int
    variant: str | None = None
    ansatz: str = "qrkt"
    layers: int = 1
    forward_mib: float | None = None
    grad_mib: float | None = None
    state_mib: float | None = None


@dataclass(frozen=True)
class Cell:
    """One point of the grid: a circuit (ansatz, layers, width) and a batch size."""

    ansatz: str
    layers: int
    n: int
    batch: int


class _NotApplicable(Exception):
    """A variant that does not apply at this width."""


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    warnings.filterwarnings(  # PennyLane asks for complex128, which x64-off JAX truncates
        "ignore", message="Explicitly requested dtype.*complex128", category=UserWarning
    )
    candidates, skipped = _candidates(args.backends, ("flat",) if args.quick else VARIANTS)
    for name, reason in skipped.items():
        print(f"skipped {name}: {reason}")
    settings = QUICK if args.quick else FULL
    if args.budget_s is not None:
        settings = replace(settings, budget_s=args.budget_s)
    started, clock = datetime.now(UTC), time.perf_counter()
    results: list[Measurement] = []
    variants: list[Measurement] = []
    over_budget: list[dict[str, object]] = []
    print(_header())
    for ansatz, layers, n, batch in itertools.product(
        args.ansatze, args.layers, args.widths, args.batches
    ):
        cell = Cell(ansatz, layers, n, batch)
        group: list[Measurement] = []
        for name, factories in candidates.items():
            estimate = _estimated_grad_s(results, name, cell)
            if estimate > args.max_call_s:
                over_budget.append(
                    {"backend": name, **asdict(cell), "estimated_grad_s": round(estimate, 1)}
                )
                print(f"{name}: {cell} not timed, gradient estimated at {estimate:.0f} s a call")
                continue
            measured = _measure_variants(name, factories, cell, settings)
            if measured:
                group.append(_best(measured))
            if len(measured) > 1:
                variants += measured
        for line in _rows(group):
            print(line, flush=True)
        results += group
        report = {  # written after every cell, so that a stopped run keeps what it measured
            **run_record(started, clock),
            "settings": {
                "quick": args.quick,
                "backends": list(candidates),
                "ansatze": args.ansatze,
                "layers": args.layers,
                "widths": args.widths,
                "batches": args.batches,
                "max_call_s": args.max_call_s,
                **asdict(settings),
            },
            "skipped": skipped,
            "results": [asdict(m) for m in results],
            "variants": [asdict(m) for m in variants],
            "over_budget": over_budget,
        }
        write_report(args.out, report, quiet=True)
    write_report(args.out, report)


def _estimated_grad_s(results: list[Measurement], name: str, cell: Cell) -> float:
    """A gradient call's seconds for ``name`` at ``cell``, scaled linearly from its largest
    smaller batch of the same circuit in ``results``; 0 where there is none."""
    smaller = [
        m
        for m in results
        if (m.backend, m.ansatz, m.layers, m.n) == (name, cell.ansatz, cell.layers, cell.n)
        and m.batch < cell.batch
    ]
    if not smaller:
        return 0.0
    nearest = max(smaller, key=lambda m: m.batch)
    return nearest.grad_ms / 1e3 * cell.batch / nearest.batch


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="n in 2,4; B in 1,64; short; handwritten: flat only"
    )
    parser.add_argument("--backends", type=name_list, help="comma-separated; default: all found")
    parser.add_argument("--ansatze", type=name_list, default=["qrkt"], help="default: qrkt")
    parser.add_argument("--layers", type=int_list, default=[1], help="e.g. 1,2,4; default: 1")
    parser.add_argument("--widths", type=int_list, help="qubit counts, e.g. 2,4,6")
    parser.add_argument("--batches", type=int_list, help="batch sizes, e.g. 1,64,1024")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument(
        "--budget-s",
        type=float,
        help=f"seconds of steady calls per measurement (default {FULL.budget_s})",
    )
    parser.add_argument(
        "--max-call-s",
        type=float,
        default=MAX_CALL_S,
        help="do not time a candidate whose gradient is estimated to take longer than this many "
        f"seconds a call (default {MAX_CALL_S})",
    )
    args = parser.parse_args(argv)
    args.widths = args.widths or ([2, 4] if args.quick else [2, 4, 6, 8, 10, 12])
    args.batches = args.batches or ([1, 64] if args.quick else [1, 64, 1024])
    return args


def _candidates(
    wanted: list[str] | None, variants: Sequence[str]
) -> tuple[dict[str, dict[str, Factory]], dict[str, str]]:
    """Each available candidate's factories (one per variant) and why the others are not."""
    candidates: dict[str, dict[str, Factory]] = {}
    skipped: dict[str, str] = {}
    for name in installed_backends():
        try:
            cls = backend_entry(name).load()
        except ImportError as error:
            skipped[name] = f"cannot be imported ({error})"
            continue
        limit = cls.capabilities.max_qubits
        if name == "jax":  # the statevector simulator, and the product-state readout
            candidates[name] = {"": _qrkt_factory(name, limit, clifford_readout=False)}
            candidates["jax-clifford"] = {"": _qrkt_factory(name, limit)}
        elif (issubclass(cls, JaxBackend) and cls.capabilities.autodiff) or name in HOST_BACKENDS:
            candidates[name] = {"": _qrkt_factory(name, limit)}
        else:
            skipped[name] = "not differentiable by JAX, and not in HOST_BACKENDS"
    candidates["handwritten"] = {v: _handwritten_factory(v) for v in variants}
    try:
        import pennylane  # noqa: F401
    except ImportError:
        skipped["pennylane"] = "not installed (pip install pennylane)"
    else:
        candidates["pennylane"] = {"": _pennylane}
    if wanted is not None:
        unknown = sorted(set(wanted) - candidates.keys() - skipped.keys())
        if unknown:
            raise SystemExit(
                f"unknown backends {unknown}; available: {', '.join(candidates)}"
                + (f"; unavailable: {', '.join(skipped)}" if skipped else "")
            )
        candidates = {k: v for k, v in candidates.items() if k in wanted}
        skipped = {k: v for k, v in skipped.items() if k in wanted}
    return candidates, skipped


def _qrkt_factory(name: str, max_qubits: int, **options: object) -> Factory:
    def make(ansatz: str, n: int, layers: int) -> Fn:
        circuit = build_ansatz(ansatz, n, layers)
        if n > max_qubits or (
            options.get("clifford_readout", True) is True
            and name == "jax"
            and compile_program(circuit).product_readout is None
        ):
            raise _NotApplicable
        return expectation_function(name, circuit, **options)

    return make


def _thesis_circuit_only(make: Callable[[int], Fn]) -> Factory:
    """A factory of the one-layer ``qrkt`` ansatz, which does not apply to other circuits."""

    def thesis(ansatz: str, n: int, layers: int) -> Fn:
        if (ansatz, layers) != ("qrkt", 1):
            raise _NotApplicable
        return make(n)

    return thesis


def _handwritten_factory(variant: str) -> Factory:
    def make(n: int) -> Fn:
        if variant == "dense" and n > DENSE_MAX_QUBITS:
            raise _NotApplicable
        return make_handwritten(n, variant)

    return _thesis_circuit_only(make)


def _pennylane(ansatz: str, n: int, layers: int) -> Fn:
    """PennyLane ``default.qubit``, JAX interface, running the qrkt circuit gate by gate with
    the batch broadcast through the gates."""
    import pennylane as qml

    circuit = build_ansatz(ansatz, n, layers)
    gates = {"rx": qml.RX, "ry": qml.RY, "rz": qml.RZ, "h": qml.Hadamard, "cnot": qml.CNOT}
    paulis = {"X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ}

    @qml.qnode(qml.device("default.qubit", wires=n), interface="jax")
    def run(x: jax.Array, w: jax.Array) -> list[object]:
        for gate in circuit.gates:
            angle = gate.angle
            if angle is None:
                gates[gate.name](wires=list(gate.qubits))
            else:
                if isinstance(angle, Param):
                    angle = x[:, angle.index] if angle.kind is ParamKind.INPUT else w[angle.index]
                gates[gate.name](angle, wires=list(gate.qubits))
        return [
            qml.expval(functools.reduce(operator.matmul, (paulis[p](q) for q, p in obs.terms)))
            for obs in circuit.observables
        ]

    return lambda x, w: jnp.stack(run(x, w), axis=-1).reshape(x.shape[0], -1)


def _measure_variants(
    name: str, factories: dict[str, Factory], cell: Cell, settings: Settings
) -> list[Measurement]:
    """Every variant of the candidate that applies to ``cell``."""
    measured: list[Measurement] = []
    parameter_shift = name in HOST_BACKENDS and name not in ADJOINT_HOST_BACKENDS
    if parameter_shift and cell.batch > HOST_MAX_BATCH:
        return measured
    for variant, factory in factories.items():
        try:
            fn = factory(cell.ansatz, cell.n, cell.layers)
        except _NotApplicable:
            continue
        measured.append(_measure(name, variant or None, fn, cell, settings))
    return measured


def _best(measured: list[Measurement]) -> Measurement:
    """The fastest variant, forward and gradient picked separately."""
    forward = min(measured, key=lambda m: m.forward_ms)
    grad = min(measured, key=lambda m: m.grad_ms)
    if forward is grad:
        return forward
    return Measurement(
        forward.backend,
        forward.n,
        forward.batch,
        forward.forward_ms,
        grad.grad_ms,
        forward.compile_forward_s,
        grad.compile_grad_s,
        min(forward.repeats, grad.repeats),
        f"{forward.variant}/{grad.variant}",
    )


def _measure(name: str, variant: str | None, fn: Fn, cell: Cell, settings: Settings) -> Measurement:
    circuit = build_ansatz(cell.ansatz, cell.n, cell.layers)
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(-math.pi, math.pi, (cell.batch, circuit.n_inputs)), jnp.float32)
    w = jnp.asarray(rng.uniform(-math.pi, math.pi, circuit.n_weights), jnp.float32)
    forward, f_compile_s = _compiled(fn, x, w)
    grad, g_compile_s = _compiled(gradient(fn), x, w)
    f_first, f_times = time_calls(forward, x, w, settings)
    g_first, g_times = time_calls(grad, x, w, settings)
    f_ms, g_ms = statistics.median(f_times) * 1e3, statistics.median(g_times) * 1e3
    in_xla = name not in HOST_BACKENDS
    return Measurement(
        name,
        cell.n,
        cell.batch,
        round(f_ms, 4),
        round(g_ms, 4),
        round(f_compile_s + max(f_first - f_ms / 1e3, 0.0), 3),
        round(g_compile_s + max(g_first - g_ms / 1e3, 0.0), 3),
        min(len(f_times), len(g_times)),
        variant,
        cell.ansatz,
        cell.layers,
        compiled_mib(forward) if in_xla else None,
        compiled_mib(grad) if in_xla else None,
        cell.batch * 2**cell.n * 8 / 2**20,  # exact: a power of two
    )


def _compiled(fn: Callable[..., object], x: jax.Array, w: jax.Array) -> tuple[Compiled, float]:
    """``fn`` jitted and compiled for ``x`` and ``w``, and the seconds that took."""
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(x, w).compile()
    return compiled, time.perf_counter() - start


_COLUMNS = (
    "circuit  backend                        n      B   fwd ms    grad ms   compile s   fwd x"
    "  grad x"
)


def _header() -> str:
    return f"{_COLUMNS}\n{'-' * len(_COLUMNS)}"


def _rows(group: list[Measurement]) -> Iterator[str]:
    """Table rows for one cell, with ratios to the fastest there."""
    if not group:
        return
    best_f = min(m.forward_ms for m in group)
    best_g = min(m.grad_ms for m in group)
    for m in group:
        label = m.backend + (f" [{m.variant}]" if m.variant else "")
        compile_s = f"{m.compile_forward_s:.2f}/{m.compile_grad_s:.2f}"
        yield (
            f"{m.ansatz:<5}L{m.layers} {label:<29} {m.n:>2} {m.batch:>6}"
            f" {m.forward_ms:>8.3f} {m.grad_ms:>10.3f}"
            f" {compile_s:>11} {m.forward_ms / best_f:>7.1f} {m.grad_ms / best_g:>7.1f}"
        )


if __name__ == "__main__":
    main()
