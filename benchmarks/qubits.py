"""How cost grows with qubits: forward and gradient time per batch, memory, and depth and
two-qubit gates after transpiling to an IBM device, for the "qrkt" and "cara" ansätze with
L = 1 and 2 layers, on every backend.

Run from the repository root::

    python -m benchmarks.qubits           # n = 2, 4, ... while a call takes < 0.5 s; B = 32
    python -m benchmarks.qubits --quick   # "qrkt" only, n in 2, 3, B = 4, one call: for CI

Every backend runs as a QuantumLayer runs it (:func:`qrkt.backends.bridge.expectation_function`
under ``jax.jit``, timed as in :mod:`benchmarks.backends`): JAX backends are traced and
differentiated by autodiff; a host backend is one host call forward and one more for the
gradient (the parameter-shift rule, TFQ's adjoint method for ``tfq``). "jax" is qrkt's
statevector simulator (``clifford_readout=False``); "jax-clifford" is its default, which reads
one-layer circuits from the product state (L = 1 only). ``ibm_runtime`` is local testing mode
on Aer with its default 4096 shots.

- n grows from 2 in steps of ``--step`` until a call takes longer than ``--budget-s`` (or n
  passes ``--max-qubits`` or the backend's limit); the forward pass and the gradient stop
  separately, so a host backend's forward series goes on after its parameter-shift gradient
  (2K circuits per sample) has stopped.
- Time: the median of repeated calls; the first call is not counted.
- Memory, two ways (``tracemalloc`` would see none of it: XLA, TensorFlow, Aer and Cirq all
  allocate outside Python's allocator). "XLA MiB": the output and temporary buffers XLA
  assigns to the compiled call (``memory_analysis()``): exact and reproducible, but blind to
  what a host backend allocates in its callback. "RSS MiB": the peak resident set size during
  one call less the resident size just before it (Linux's ``VmHWM``, reset through
  ``/proc/self/clear_refs``): sees every allocator, but memory one kept from earlier calls is
  reused uncounted, so it is a lower bound, noisy below a few MiB. Tables and plots show XLA's
  for JAX backends and RSS for host backends, next to "state MiB", the size of 2^n B
  complex64 amplitudes.
- Growth: "overhead to n" is the largest n up to which every time is within twice the
  fastest call's: up to there, fixed per-call costs dominate and a qubit more is nearly free.
  The slope of log2(time) against n is fitted over the points above it (at least 3); 1.0 is
  the 2^n cost of a state vector.
- Transpiled: depth and two-qubit gates of the circuit on ``--device`` (default
  fake_sherbrooke, 127 qubits, heavy hex, ECR) after Qiskit's preset pass manager at
  optimization level 1 (seeded), next to the logical circuit's.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np

from benchmarks.recording import int_list, name_list, run_record, save_figure, write_report
from benchmarks.timing import Settings, compiled_mib, gradient, time_calls
from qrkt.backends.bridge import expectation_function
from qrkt.backends.fused_program import compile_program
from qrkt.backends.registry import backend_entry
from qrkt.circuits.ansatz import build_ansatz
from qrkt.circuits.ir import Circuit

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "qubits.json"
#: Label -> (registered backend, options).
CANDIDATES: dict[str, tuple[str, dict[str, object]]] = {
    "jax": ("jax", {"clifford_readout": False}),
    "jax-clifford": ("jax", {}),
    "tensorcircuit": ("tensorcircuit", {}),
    "qiskit_aer": ("qiskit_aer", {}),
    "ibm_runtime": ("ibm_runtime", {}),
    "cirq": ("cirq", {}),
    "tfq": ("tfq", {}),
}
ANSATZE = ("qrkt", "cara")
OVERHEAD_FACTOR = 2.0  # times within this factor of the fastest call count as overhead
MIN_FIT_POINTS = 3
TIMING = Settings(budget_s=0.2, min_repeats=3, max_repeats=50)  # per measurement
QUICK_TIMING = Settings(budget_s=0.0, min_repeats=1, max_repeats=1)


@dataclass(frozen=True)
class Call:
    """One compiled call: median time, and memory as XLA assigns it and as RSS grows."""

    ms: float
    xla_mib: float
    rss_mib: float | None


@dataclass
class Point:
    """One backend, ansatz, L and n: the forward and gradient calls, ``None`` where that series
    had stopped at the time budget. ``memory`` says which memory the tables show."""

    backend: str
    ansatz: str
    layers: int
    n: int
    batch: int
    memory: str  # "xla" or "rss"
    state_mib: float
    forward: Call | None
    grad: Call | None

    def ms(self, kind: str) -> float | None:
        call = getattr(self, kind)
        return None if call is None else call.ms

    def mib(self, kind: str) -> float | None:
        call = getattr(self, kind)
        return None if call is None else getattr(call, f"{self.memory}_mib")


@dataclass
class Growth:
    """How one series grows: the overhead range and the fitted log2 slope above it."""

    backend: str
    ansatz: str
    layers: int
    kind: str  # "forward" or "grad"
    n_max: int
    ms_at_n_max: float
    overhead_to_n: int
    fit_from_n: int | None
    slope: float | None


@dataclass
class Transpiled:
    """Depth and two-qubit gates of an ansatz, logical and on the device's ISA."""

    ansatz: str
    layers: int
    n: int
    logical_depth: int
    logical_two_qubit: int
    depth: int
    two_qubit: int


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    started, clock = datetime.now(UTC), time.perf_counter()
    labels, skipped = _available(args.backends)
    for label, reason in skipped.items():
        print(f"skipped {label}: {reason}")
    settings = QUICK_TIMING if args.quick else TIMING
    points: list[Point] = []
    print(_POINT_HEADER)
    for label in labels:
        for ansatz in args.ansatze:
            for layers in args.layers:
                if label == "jax-clifford" and not _product_readout(ansatz, layers):
                    continue
                for point in _series(label, ansatz, layers, args, settings):
                    print(_point_row(point), flush=True)
                    points.append(point)
    growths = [g for key, series in _grouped(points) for g in _growth(key, series)]
    print(f"\n{_GROWTH_HEADER}")
    for g in growths:
        print(_growth_row(g))
    widest = max((p.n for p in points), default=2)
    transpiled, reason = _transpiled_all(args.device, args.ansatze, args.layers, widest)
    if reason:
        print(f"not transpiled: {reason}")
    print(f"\n{_TRANSPILED_HEADER}")
    for t in transpiled:
        print(_transpiled_row(t))
    report = {
        **run_record(started, clock),
        "settings": {
            "quick": args.quick,
            "backends": labels,
            "ansatze": args.ansatze,
            "layers": args.layers,
            "batch": args.batch,
            "series_budget_s": args.budget_s if math.isfinite(args.budget_s) else None,
            "max_qubits": args.max_qubits,
            "step": args.step,
            "device": args.device,
            "optimization_level": 1,
            "overhead_factor": OVERHEAD_FACTOR,
            "timing": asdict(settings),
        },
        "skipped": skipped,
        "points": [asdict(p) for p in points],
        "growth": [asdict(g) for g in growths],
        "transpiled": [asdict(t) for t in transpiled],
        "transpiled_skipped": reason,
    }
    _plot(points, growths, args.out)
    _plot_transpiled(transpiled, args.device, args.out)
    write_report(args.out, report)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help='"qrkt" only, n in 2, 3, B = 4, one timed call'
    )
    parser.add_argument("--backends", type=name_list, help=f"default: {','.join(CANDIDATES)}")
    parser.add_argument("--ansatze", type=name_list, help="default: qrkt,cara; qrkt with --quick")
    parser.add_argument("--layers", type=int_list, default=[1, 2], help="default: 1,2")
    parser.add_argument("--batch", type=int, help="samples per call (default: 32; 4 with --quick)")
    parser.add_argument(
        "--budget-s",
        type=float,
        help="stop a series after a call over this (default: 0.5; none with --quick)",
    )
    parser.add_argument("--step", type=int, help="qubits between points (default: 2; 1 --quick)")
    parser.add_argument("--max-qubits", type=int, help="default: 22; 3 with --quick")
    parser.add_argument(
        "--device", default="fake_sherbrooke", help="fake IBM device to transpile to"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON; PNGs beside")
    args = parser.parse_args(argv)
    args.max_qubits = args.max_qubits or (3 if args.quick else 22)
    args.budget_s = args.budget_s or (math.inf if args.quick else 0.5)
    args.batch = args.batch or (4 if args.quick else 32)
    args.step = args.step or (1 if args.quick else 2)
    args.ansatze = args.ansatze or (["qrkt"] if args.quick else list(ANSATZE))
    return args


def _available(wanted: list[str] | None) -> tuple[list[str], dict[str, str]]:
    """The candidate labels that can run here, and why the others cannot."""
    labels: list[str] = []
    skipped: dict[str, str] = {}
    for label in wanted or CANDIDATES:
        if label not in CANDIDATES:
            raise SystemExit(f"unknown backend {label!r}; known: {', '.join(CANDIDATES)}")
        entry = backend_entry(CANDIDATES[label][0])
        if entry.installed:
            labels.append(label)
        else:
            skipped[label] = f"not installed ({entry.install_command})"
    return labels, skipped


def _product_readout(ansatz: str, layers: int) -> bool:
    """Whether the jax backend reads this ansatz from the product state (a Clifford tail)."""
    return compile_program(build_ansatz(ansatz, 3, layers)).product_readout is not None


def _series(
    label: str, ansatz: str, layers: int, args: argparse.Namespace, settings: Settings
) -> Iterator[Point]:
    """Points at n = 2, 2 + step, ... until both the forward and the gradient calls pass the
    budget."""
    limit = min(args.max_qubits, backend_entry(CANDIDATES[label][0]).capabilities.max_qubits)
    forward = grad = True
    for n in range(2, limit + 1, args.step):
        circuit = build_ansatz(ansatz, n, layers)
        point = _measure(label, circuit, ansatz, layers, args.batch, settings, forward, grad)
        yield point
        forward = forward and (point.ms("forward") or math.inf) < args.budget_s * 1e3
        grad = grad and (point.ms("grad") or math.inf) < args.budget_s * 1e3
        if not (forward or grad):
            return


def _measure(
    label: str,
    circuit: Circuit,
    ansatz: str,
    layers: int,
    batch: int,
    settings: Settings,
    forward: bool,
    grad: bool,
) -> Point:
    name, options = CANDIDATES[label]
    fn = expectation_function(name, circuit, **options)
    rng = np.random.default_rng(circuit.n_qubits)
    x = jnp.asarray(rng.uniform(-math.pi, math.pi, (batch, circuit.n_inputs)), jnp.float32)
    w = jnp.asarray(rng.uniform(-math.pi, math.pi, circuit.n_weights), jnp.float32)
    n = circuit.n_qubits
    return Point(
        label,
        ansatz,
        layers,
        n,
        batch,
        "xla" if backend_entry(name).capabilities.autodiff else "rss",
        round(2**n * batch * 8 / 2**20, 4),
        _call(fn, x, w, settings) if forward else None,
        _call(gradient(fn), x, w, settings) if grad else None,
    )


def _call(fn: Callable[..., object], x: jax.Array, w: jax.Array, settings: Settings) -> Call:
    compiled = jax.jit(fn).lower(x, w).compile()
    _, times = time_calls(compiled, x, w, settings)
    return Call(
        round(statistics.median(times) * 1e3, 4),
        compiled_mib(compiled),
        peak_rss_mib(lambda: jax.block_until_ready(compiled(x, w))),
    )


def peak_rss_mib(call: Callable[[], object]) -> float | None:
    """The peak resident set size during ``call()`` less the resident size before it (MiB);
    ``None`` where ``/proc/self/clear_refs`` cannot reset the peak (not Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        before = _status_kib("VmRSS")
    except (OSError, ValueError):
        return None
    call()
    return round(max(_status_kib("VmHWM") - before, 0) / 1024, 2)


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    if match is None:
        raise ValueError(f"no {field} in /proc/self/status")
    return int(match.group(1))


SeriesKey = tuple[str, str, int]


def _grouped(points: list[Point]) -> Iterator[tuple[SeriesKey, list[Point]]]:
    series: dict[SeriesKey, list[Point]] = {}
    for p in points:
        series.setdefault((p.backend, p.ansatz, p.layers), []).append(p)
    yield from series.items()


def _growth(key: SeriesKey, series: list[Point]) -> Iterator[Growth]:
    for kind in ("forward", "grad"):
        measured = [(p.n, p.ms(kind)) for p in series]
        measured = [(n, ms) for n, ms in measured if ms is not None]
        if measured:
            ns, times = zip(*measured, strict=True)
            overhead, fit_from, slope = growth_rate(list(ns), list(times))
            yield Growth(*key, kind, ns[-1], times[-1], overhead, fit_from, slope)


def growth_rate(ns: list[int], times: list[float]) -> tuple[int, int | None, float | None]:
    """``(overhead_to_n, fit_from_n, slope)``: the largest n up to which every time is within
    :data:`OVERHEAD_FACTOR` of the fastest call, and the least-squares slope of log2(time)
    against n over the points above it (``None`` with fewer than :data:`MIN_FIT_POINTS`)."""
    overhead, fastest = ns[0], min(times)
    for n, t in zip(ns, times, strict=True):
        if t > OVERHEAD_FACTOR * fastest:
            break
        overhead = n
    upper = [(n, t) for n, t in zip(ns, times, strict=True) if n > overhead]
    if len(upper) < MIN_FIT_POINTS:
        return overhead, None, None
    x, y = np.array([n for n, _ in upper]), np.log2([t for _, t in upper])
    return overhead, int(x[0]), round(float(np.polyfit(x, y, 1)[0]), 3)


def _transpiled_all(
    device_name: str, ansatze: list[str], layer_counts: list[int], widest: int
) -> tuple[list[Transpiled], str | None]:
    """Every ansatz and L from n = 2 to ``widest`` on the device, or why there are none."""
    if not backend_entry("ibm_runtime").installed:
        return [], f"needs qiskit and qiskit-ibm-runtime ({backend_entry('ibm_runtime').extra})"
    from qrkt.backends.qiskit_aer import fake_ibm_device
    from qrkt.backends.qiskit_compile import compile_circuit, transpile_for

    device = fake_ibm_device(device_name)
    rows = []
    for ansatz in ansatze:
        for layers in layer_counts:
            for n in range(2, min(widest, device.num_qubits) + 1):
                circuit = build_ansatz(ansatz, n, layers)
                logical = compile_circuit(circuit).estimator_circuit
                isa = transpile_for(circuit, device, 1).estimator_circuit
                rows.append(
                    Transpiled(
                        ansatz,
                        layers,
                        n,
                        logical.depth(),
                        _two_qubit_gates(logical),
                        isa.depth(),
                        _two_qubit_gates(isa),
                    )
                )
    return rows, None


def _two_qubit_gates(qc: QuantumCircuit) -> int:
    return sum(1 for instruction in qc.data if len(instruction.qubits) == 2)


# --- tables -------------------------------------------------------------------------------------

_POINT_HEADER = (
    f"{'backend':<14} {'ansatz':<6} {'L':>1} {'n':>2} {'B':>4} {'fwd ms':>10} {'grad ms':>10} "
    f"{'fwd MiB':>8} {'grad MiB':>8} {'memory':>6} {'state MiB':>9}"
)
_GROWTH_HEADER = (
    f"{'backend':<14} {'ansatz':<6} {'L':>1} {'kind':<7} {'n max':>5} {'ms at max':>10} "
    f"{'overhead to n':>13} {'fit from n':>10} {'slope':>6}"
)
_TRANSPILED_HEADER = (
    f"{'ansatz':<6} {'L':>1} {'n':>2} {'logical depth':>13} {'logical 2q':>10} {'ISA depth':>9} "
    f"{'ISA 2q':>6}"
)


def _number(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def _point_row(p: Point) -> str:
    return (
        f"{p.backend:<14} {p.ansatz:<6} {p.layers:>1} {p.n:>2} {p.batch:>4} "
        f"{_number(p.ms('forward'), 10, 3)} {_number(p.ms('grad'), 10, 3)} "
        f"{_number(p.mib('forward'), 8, 1)} {_number(p.mib('grad'), 8, 1)} {p.memory:>6} "
        f"{p.state_mib:>9.2f}"
    )


def _growth_row(g: Growth) -> str:
    fit_from = "-" if g.fit_from_n is None else str(g.fit_from_n)
    return (
        f"{g.backend:<14} {g.ansatz:<6} {g.layers:>1} {g.kind:<7} {g.n_max:>5} "
        f"{g.ms_at_n_max:>10.2f} {g.overhead_to_n:>13} {fit_from:>10} {_number(g.slope, 6, 2)}"
    )


def _transpiled_row(t: Transpiled) -> str:
    return (
        f"{t.ansatz:<6} {t.layers:>1} {t.n:>2} {t.logical_depth:>13} {t.logical_two_qubit:>10} "
        f"{t.depth:>9} {t.two_qubit:>6}"
    )


# --- plots --------------------------------------------------------------------------------------


def _plot(points: list[Point], growths: list[Growth], out: Path) -> None:
    """One figure per backend: time (log) and memory against n, with 2^n guides."""
    slopes = {(g.backend, g.ansatz, g.layers, g.kind): g.slope for g in growths}
    for backend in dict.fromkeys(p.backend for p in points):
        fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(11, 4.2))
        mine = [p for p in points if p.backend == backend]
        for (_, ansatz, layers), series in _grouped(mine):
            color = f"C{ANSATZE.index(ansatz) * 2 + layers - 1}" if ansatz in ANSATZE else None
            for kind, style in (("forward", "-"), ("grad", "--")):
                xy = [(p.n, p.ms(kind)) for p in series]
                xy = [(n, v) for n, v in xy if v is not None]
                if not xy:
                    continue
                slope = slopes.get((backend, ansatz, layers, kind))
                fit = "" if slope is None else f", slope {slope:.2f}"
                ax_time.plot(
                    *zip(*xy, strict=True),
                    style,
                    marker=".",
                    color=color,
                    label=f"{ansatz} L={layers} {kind}{fit}",
                )
                mem = [(p.n, p.mib(kind)) for p in series]
                mem = [(n, v) for n, v in mem if v is not None]
                if mem:
                    ax_mem.plot(*zip(*mem, strict=True), style, marker=".", color=color)
        top_ms, top = max(
            ((p.ms(kind) or 0.0, p) for p in mine for kind in ("forward", "grad")),
            key=lambda pair: pair[0],
        )
        ns = np.arange(2, top.n + 1)
        ax_time.plot(ns, top_ms * 2.0 ** (ns - top.n), ":", color="gray", label="2^n")
        state = sorted({(p.n, p.state_mib) for p in mine})
        ax_mem.plot(*zip(*state, strict=True), ":", color="gray", label="state (complex64)")
        ax_time.set(
            yscale="log",
            xlabel="qubits n",
            ylabel=f"ms per call (B = {top.batch})",
            title=f"{backend}: time per batch",
        )
        ax_mem.set(
            xlabel="qubits n",
            ylabel=f"MiB ({'XLA buffers' if top.memory == 'xla' else 'peak RSS growth'})",
            title=f"{backend}: memory per call",
        )
        ax_mem.set_yscale("symlog", linthresh=1.0)
        for ax in (ax_time, ax_mem):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=7)
        save_figure(fig, out, backend)


def _plot_transpiled(rows: list[Transpiled], device: str, out: Path) -> None:
    if not rows:
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, field, title in (
        (axes[0], "depth", "depth"),
        (axes[1], "two_qubit", "two-qubit gates"),
    ):
        for ansatz in dict.fromkeys(t.ansatz for t in rows):
            for layers in dict.fromkeys(t.layers for t in rows):
                mine = [t for t in rows if t.ansatz == ansatz and t.layers == layers]
                ns = [t.n for t in mine]
                line = ax.plot(
                    ns,
                    [getattr(t, field) for t in mine],
                    "-",
                    marker=".",
                    label=f"{ansatz} L={layers} on {device}",
                )
                ax.plot(
                    ns,
                    [getattr(t, f"logical_{field}") for t in mine],
                    "--",
                    color=line[0].get_color(),
                    label=f"{ansatz} L={layers} logical",
                )
        ax.set(xlabel="qubits n", ylabel=title, title=f"{title} after transpiling (level 1)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    save_figure(fig, out, "transpiled")


if __name__ == "__main__":
    main()
