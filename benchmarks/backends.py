"""Forward and gradient timings of the ``qrkt`` and ``cara`` ansätze on qrkt's JAX backends
and host backends (:data:`HOST_BACKENDS`), against a hand-written JAX statevector and
PennyLane's ``default.qubit`` (both for the thesis's one-layer ``qrkt`` circuit only).

Run from the repository root::

    python -m benchmarks.backends            # one-layer qrkt; n in 2..12, B in 1, 64, 1024
    python -m benchmarks.backends --quick    # n in 2, 4; B in 1, 64: for CI
    python -m benchmarks.backends --ansatze qrkt,cara --layers 1,2,3,4 --widths 4,8,12,16

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
dependency. A host backend runs through :mod:`qrkt.backends.bridge` like in a QuantumLayer:
the forward pass is one ``backend.run`` in a ``pure_callback``, the gradient one more host call,
``backend.vjp``: a run of all ``2 K B`` parameter-shift points for most (so their "grad"
column is the cost of a parameter-shift gradient next to the autodiff gradients of the JAX
backends), TFQ's adjoint gradient for ``tfq``. Host backends compute in their own precision:
float64 for Aer and Cirq, float32 for TFQ.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.handwritten import DENSE_MAX_QUBITS, VARIANTS, make_handwritten
from benchmarks.recording import int_list, name_list, run_record, write_report
from benchmarks.timing import Fn, Settings, gradient, time_calls
from qrkt.backends.base import JaxBackend
from qrkt.backends.bridge import expectation_function
from qrkt.backends.fused_program import compile_program
from qrkt.backends.registry import backend_entry, installed_backends
from qrkt.circuits.ansatz import build_ansatz

Factory = Callable[[str, int, int], Fn]  # (ansatz, n, layers) -> f

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "backends.json"
#: Backends without autodiff that are timed too, through the bridge, up to HOST_MAX_BATCH: a
#: parameter-shift gradient runs 2 K B circuits (73,728 at n=12, B=1024; minutes a call).
HOST_BACKENDS = ("qiskit_aer", "ibm_runtime", "cirq", "tfq")
HOST_MAX_BATCH = 64
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
    started, clock = datetime.now(UTC), time.perf_counter()
    results: list[Measurement] = []
    variants: list[Measurement] = []
    print(_header())
    for ansatz, layers, n, batch in itertools.product(
        args.ansatze, args.layers, args.widths, args.batches
    ):
        cell = Cell(ansatz, layers, n, batch)
        group: list[Measurement] = []
        for name, factories in candidates.items():
            measured = _measure_variants(name, factories, cell, settings)
            if measured:
                group.append(_best(measured))
            if len(measured) > 1:
                variants += measured
        for line in _rows(group):
            print(line, flush=True)
        results += group
    report = {
        **run_record(started, clock),
        "settings": {
            "quick": args.quick,
            "backends": list(candidates),
            "ansatze": args.ansatze,
            "layers": args.layers,
            "widths": args.widths,
            "batches": args.batches,
            **asdict(settings),
        },
        "skipped": skipped,
        "results": [asdict(m) for m in results],
        "variants": [asdict(m) for m in variants],
    }
    write_report(args.out, report)


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
        candidates["pennylane"] = {"": _thesis_circuit_only(_pennylane)}
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


def _pennylane(n: int) -> Fn:
    """PennyLane ``default.qubit``, JAX interface, the batch broadcast through the gates."""
    import pennylane as qml

    @qml.qnode(qml.device("default.qubit", wires=n), interface="jax")
    def circuit(x: jax.Array, w: jax.Array) -> list[object]:
        for j in range(n):
            qml.RY(x[:, j], wires=j)
        for j in range(n):
            qml.RX(w[j], wires=j)
            qml.RZ(w[j], wires=j)
        if n == 2:
            qml.CNOT(wires=[0, 1])
        for j in range(n) if n > 2 else ():
            qml.Hadamard(wires=j)
            qml.CNOT(wires=[j, (j + 1) % n])
        return [qml.expval(qml.PauliZ(j)) for j in range(n)]

    return lambda x, w: jnp.stack(circuit(x, w), axis=-1).reshape(x.shape[0], n)


def _measure_variants(
    name: str, factories: dict[str, Factory], cell: Cell, settings: Settings
) -> list[Measurement]:
    """Every variant of the candidate that applies to ``cell``."""
    measured: list[Measurement] = []
    if name in HOST_BACKENDS and cell.batch > HOST_MAX_BATCH:
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
    forward = jax.jit(fn)
    grad = jax.jit(gradient(fn))
    f_first, f_times = time_calls(forward, x, w, settings)
    g_first, g_times = time_calls(grad, x, w, settings)
    f_ms, g_ms = statistics.median(f_times) * 1e3, statistics.median(g_times) * 1e3
    return Measurement(
        name,
        cell.n,
        cell.batch,
        round(f_ms, 4),
        round(g_ms, 4),
        round(max(f_first - f_ms / 1e3, 0.0), 3),
        round(max(g_first - g_ms / 1e3, 0.0), 3),
        min(len(f_times), len(g_times)),
        variant,
        cell.ansatz,
        cell.layers,
    )


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
