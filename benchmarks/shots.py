"""Shot noise: how far shot-based estimates fall from the exact values as shots go from 64 to
65,536, against the 1/sqrt(shots) prediction, and what it does to a trained model's accuracy.

Run from the repository root::

    python -m benchmarks.shots                        # trains digits-qrk1 first (a few minutes)
    python -m benchmarks.shots --workdir runs/digits  # a run trained before, e.g. MNIST
    python -m benchmarks.shots --quick                # a few-step model, fewer shots: for CI

Two circuits, each run on P parameter sets, every set R times:

- "fixed": the "qrkt" ansatz, n = 4, L = 2, seeded uniform random inputs and weights;
- "layer": a trained model's circuit layer (its widest; the first of them by name) with its
  trained weights, on the features it receives from P validation images, recorded in a
  forward pass on the exact simulator.

Backends: ``qiskit_aer``, ``cirq`` and ``tfq`` sampling, and ``qiskit_aer`` with the noise
model of a fake IBM device (``--device``, default fake_perth: 7 qubits, readout errors 2-4 %,
two-qubit errors near 0.8 %), transpiled to its ISA. An estimate of ``<Z_j>`` from s shots is
the mean of s outcomes of +-1: its predicted standard error is ``sqrt((1 - <Z_j>^2) / s)``.

Statistics, per observable j, over the P R estimates (independent: separate parameter sets or
separate repetitions; the observables of one shot are not independent, so each is tested
alone):

- SE: the spread of the R repetitions around their mean, over the predicted SE at that mean:
  ``sum (R - 1) s^2 / SE^2`` is chi-square with P (R - 1) degrees of freedom. Its acceptance
  interval is two-sided at a family level of 1 % (Bonferroni over observables, shot counts
  and tests), widened for the binomial's excess kurtosis at few shots (Satterthwaite's
  effective degrees of freedom); quantiles by Wilson and Hilferty's approximation.
- Bias: the mean error against the exact value (``reference`` backend, float64). Noiseless
  backends must show none: ``sum z / sqrt(P R)`` within the same family level. On the noisy
  device it is reported, not tested, next to the noisy exact value's (density matrix, gate
  noise without readout error).

Accuracy: the model is evaluated (:func:`qrkt.training.evaluate`) on the first ``--samples``
validation images (the digits and MNIST have no test split here) on ``qiskit_aer`` with s
shots per circuit, without and with the device's noise; the exact accuracy and the share of
predictions that agree with the exact simulator's come from the same evaluations.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import matplotlib
import numpy as np

from benchmarks.recording import int_list, name_list, run_record, save_figure, write_report
from qrkt.backends.registry import backend_entry, get_backend
from qrkt.circuits.ansatz import build_ansatz
from qrkt.circuits.ir import Circuit
from qrkt.training import TrainConfig, evaluate, train_and_evaluate
from qrkt.training.layer_calls import LayerCallRecorder
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import eval_step
from qrkt.training.target import load_target
from qrkt.training.workdir import WorkDir

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "shots.json"
SAMPLERS = ("qiskit_aer", "cirq", "tfq")
FAMILY_ALPHA = 0.01
#: The training recipe of the full run's model (the README's digits-qrk1 run).
RECIPE = {"epochs": 10, "learning_rate": 3e-2, "warmup_steps": 22, "decay_steps": 220}
QUICK_RECIPE = {
    "epochs": 1,
    "limit": 64,
    "learning_rate": 3e-2,
    "warmup_steps": 0,
    "decay_steps": 10,
}


@dataclass(frozen=True)
class Case:
    """A circuit with P parameter sets and their exact values ``(P, n_observables)``."""

    name: str
    description: str
    circuit: Circuit
    inputs: np.ndarray  # (P, n_inputs)
    weights: np.ndarray
    exact: np.ndarray


@dataclass
class ShotStats:
    """One case on one backend at one shot count.

    Attributes:
      rms_error: RMS of estimate - exact (noiseless exact) over all estimates.
      predicted_se: RMS of the predicted SE over parameter sets and observables.
      se_ratio: observed / predicted SE, pooled over observables; se_ratios: per observable,
        each to lie in ``se_intervals``; se_ok: they all do.
      bias_rms, bias_max: RMS and largest absolute mean error of a parameter set's
        observable; bias_z: per observable, the standardised mean error; bias_ok: all within
        the family level (``None`` where bias is expected: the noisy device).
      exact_noisy_bias_rms: the noisy device's exact values (no readout error) against the
        noiseless ones; ``None`` for noiseless backends.
    """

    case: str
    backend: str
    noisy: bool
    shots: int
    points: int
    repeats: int
    rms_error: float
    predicted_se: float
    se_ratio: float
    se_ratios: list[float]
    se_intervals: list[tuple[float, float]]
    se_ok: bool
    bias_rms: float
    bias_max: float
    bias_z: list[float]
    bias_ok: bool | None
    exact_noisy_bias_rms: float | None
    seconds: float


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    started, clock = datetime.now(UTC), time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="qrkt-shots-"))
    try:
        run = args.workdir or _train(args, scratch / "run")
        accuracy = _accuracy(run, args, scratch)
        cases = [_fixed_case(args.points), _layer_case(run, args.points)]
        samplers, skipped = _samplers(args.backends, args.device)
        for label, reason in skipped.items():
            print(f"skipped {label}: {reason}")
        print(f"\n{_STATS_HEADER}")
        stats = []
        for case in cases:
            for label, (name, options) in samplers.items():
                for shots in args.shots:
                    row = _measure(case, label, name, options, shots, args)
                    print(_stats_row(row), flush=True)
                    stats.append(row)
        verdicts = agreement(stats)
        for (case, backend), ok in verdicts.items():
            print(f"{case:<6} {backend:<24} {'agrees' if ok else 'DISAGREES'} with 1/sqrt(shots)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = {
        **run_record(started, clock),
        "settings": {
            "quick": args.quick,
            "shots": args.shots,
            "points": args.points,
            "repeats": args.repeats,
            "device": args.device and device_errors(args.device),
            "family_alpha": FAMILY_ALPHA,
            "workdir": None if args.workdir is None else str(args.workdir),
            "trained": None if args.workdir else {"preset": args.preset, **_recipe(args)},
            "accuracy_shots": args.accuracy_shots,
            "accuracy_samples": args.samples,
            "split": "validation",
        },
        "skipped": skipped,
        "cases": [
            {"name": c.name, "description": c.description, "qubits": c.circuit.n_qubits}
            for c in cases
        ],
        "stats": [asdict(s) for s in stats],
        "agreement": [
            {"case": case, "backend": backend, "agrees": ok}
            for (case, backend), ok in verdicts.items()
        ],
        "accuracy": accuracy,
    }
    _plot_errors(stats, args.out)
    _plot_accuracy(accuracy, args.out)
    write_report(args.out, report)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="few shots and samples; a 1-step model"
    )
    parser.add_argument("--workdir", type=Path, help="a trained run (default: train one)")
    parser.add_argument("--preset", default="digits-qrk1", help="what to train without --workdir")
    parser.add_argument("--backends", type=name_list, help=f"default: {','.join(SAMPLERS)}")
    parser.add_argument(
        "--device", default="fake_perth", help="fake IBM device for noise; 'none' for none"
    )
    parser.add_argument("--shots", type=int_list, help="default: 64,256,...,65536; quick 64,1024")
    parser.add_argument("--points", type=int, help="parameter sets P (default: 8; quick 4)")
    parser.add_argument("--repeats", type=int, help="repetitions R (default: 32; quick 16)")
    parser.add_argument(
        "--accuracy-shots", type=int_list, help="default: 64,256,1024,4096; quick 256"
    )
    parser.add_argument("--samples", type=int, help="validation images (default: 100; quick 8)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON; PNGs beside")
    args = parser.parse_args(argv)
    quick = args.quick
    args.shots = args.shots or ([64, 1024] if quick else [64 * 4**k for k in range(6)])
    args.points = args.points or (4 if quick else 8)
    args.repeats = args.repeats or (16 if quick else 32)
    args.accuracy_shots = args.accuracy_shots or ([256] if quick else [64, 256, 1024, 4096])
    args.samples = args.samples or (8 if quick else 100)
    args.device = None if args.device == "none" else args.device
    return args


def _recipe(args: argparse.Namespace) -> dict[str, int | float]:
    return QUICK_RECIPE if args.quick else RECIPE


def _train(args: argparse.Namespace, workdir: Path) -> Path:
    """Train ``--preset`` with :data:`RECIPE` (a few steps with ``--quick``) into ``workdir``."""
    summary = train_and_evaluate(TrainConfig(args.preset, **_recipe(args)), workdir).summary
    validation = summary["validation"]["accuracy"]
    print(f"trained {args.preset} in {workdir}: validation accuracy {validation:.3f}")
    return workdir


# --- the circuits --------------------------------------------------------------------------------


def _fixed_case(points: int) -> Case:
    circuit = build_ansatz("qrkt", 4, 2)
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-math.pi, math.pi, (points, circuit.n_inputs))
    weights = rng.uniform(-math.pi, math.pi, circuit.n_weights)
    description = "qrkt ansatz, n = 4, L = 2, random inputs and weights"
    return _case("fixed", description, circuit, inputs, weights)


def _layer_case(run: Path, points: int) -> Case:
    """The widest circuit layer of the trained model, on features of ``points`` images."""
    target = load_target(run, limit=points)
    recorder = LayerCallRecorder(get_backend("reference"))
    step = eval_step(target.trained.model, DataParallel.over(jax.devices()[:1]), recorder, ())
    jax.block_until_ready(step(target.trained.params, target.data.inputs, target.data.labels))
    first_calls = [call for call in recorder.calls if call.index == 0]
    widest = max(call.circuit.n_qubits for call in first_calls)
    call = min((c for c in first_calls if c.circuit.n_qubits == widest), key=lambda c: c.layer)
    rows = np.linspace(0, call.rows - 1, points).round().astype(int)  # spread over images
    preset = target.trained.config.preset
    description = (
        f"{preset} layer {call.layer} ({widest} qubits), trained weights, validation features"
    )
    return _case("layer", description, call.circuit, call.inputs[rows], call.weights)


def _case(
    name: str, description: str, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray
) -> Case:
    exact = get_backend("reference").run(circuit, inputs, weights)
    return Case(name, description, circuit, inputs, weights, exact)


# --- sampling ------------------------------------------------------------------------------------

Sampler = tuple[str, dict[str, object]]


def device_errors(name: str) -> dict[str, object]:
    """The fake device's calibration: readout error per qubit, median two-qubit gate error."""
    from qrkt.backends.qiskit_aer import fake_ibm_device

    target = fake_ibm_device(name).target
    readout = [target["measure"][(q,)].error for q in range(target.num_qubits)]
    gate = next(g for g in ("ecr", "cz", "cx") if g in target.operation_names)
    errors = [p.error for p in target[gate].values() if p is not None and p.error is not None]
    return {
        "name": name,
        "readout_error": [round(e, 4) for e in readout],
        f"median_{gate}_error": round(float(np.median(errors)), 5),
    }


def _samplers(wanted: list[str] | None, device: str | None) -> tuple[dict[str, Sampler], dict]:
    """Label -> (backend, fixed options) of the noiseless samplers and the noisy device."""
    samplers: dict[str, Sampler] = {}
    skipped: dict[str, str] = {}
    for name in wanted or SAMPLERS:
        entry = backend_entry(name)
        if entry.installed:
            samplers[name] = (name, {})
        else:
            skipped[name] = f"not installed ({entry.install_command})"
    if device is not None:
        entry = backend_entry("ibm_runtime")  # fake devices come with qiskit-ibm-runtime
        if entry.installed:
            samplers[f"qiskit_aer+{device}"] = ("qiskit_aer", {"fake_device": device})
        else:
            skipped[device] = f"not installed ({entry.install_command})"
    return samplers, skipped


def _measure(
    case: Case,
    label: str,
    name: str,
    options: dict[str, object],
    shots: int,
    args: argparse.Namespace,
) -> ShotStats:
    """Every parameter set of ``case`` ``args.repeats`` times in one call, then the stats."""
    seeded = {} if name == "tfq" else {"seed": shots}  # TFQ takes no seed
    backend = get_backend(name, shots=shots, **seeded, **options)
    inputs = np.repeat(case.inputs, args.repeats, axis=0)
    start = time.perf_counter()
    estimates = backend.run(case.circuit, inputs, case.weights)
    seconds = time.perf_counter() - start
    estimates = estimates.reshape(len(case.inputs), args.repeats, -1)
    noisy = "fake_device" in options
    exact_noisy = None
    if noisy:
        exact_noisy = get_backend(name, **options).run(case.circuit, case.inputs, case.weights)
    tests = len(args.shots) * case.exact.shape[1] * (1 if noisy else 2)
    return shot_stats(
        estimates,
        case.exact,
        shots,
        FAMILY_ALPHA / tests,
        case=case.name,
        backend=label,
        exact_noisy=exact_noisy,
        seconds=round(seconds, 2),
    )


# --- statistics ----------------------------------------------------------------------------------


def shot_stats(
    estimates: np.ndarray,
    exact: np.ndarray,
    shots: int,
    alpha: float,
    *,
    case: str = "",
    backend: str = "",
    exact_noisy: np.ndarray | None = None,
    seconds: float = 0.0,
) -> ShotStats:
    """The stats of ``estimates`` ``(P, R, n_obs)`` of the values ``exact`` ``(P, n_obs)`` from
    ``shots`` shots each, every test at level ``alpha`` (see the module's documentation).

    With ``exact_noisy`` (the noisy device's exact values), bias is reported, not tested.
    """
    points, repeats, _ = estimates.shape
    means = estimates.mean(axis=1)  # (P, n_obs)
    variance = np.clip(1 - means**2, 1e-12, None) / shots  # predicted at the observed mean
    spread = ((estimates - means[:, None]) ** 2).sum(axis=1) / variance  # (P, n_obs)
    excess = binomial_excess_kurtosis(means, shots)
    ratios, intervals = [], []
    for j in range(exact.shape[1]):
        dof = points * (repeats - 1)
        var = ((repeats - 1) * (2 + excess[:, j] * (repeats - 1) / repeats)).sum()
        ratios.append(float(np.sqrt(spread[:, j].sum() / dof)))
        intervals.append(ratio_interval(dof, float(var), alpha))
    errors = means - exact  # (P, n_obs)
    exact_variance = np.clip(1 - exact**2, 1e-12, None) / shots
    bias_z = (errors / np.sqrt(exact_variance / repeats)).sum(axis=0) / np.sqrt(points)
    noisy = exact_noisy is not None
    limit = statistics.NormalDist().inv_cdf(1 - alpha / 2)
    return ShotStats(
        case=case,
        backend=backend,
        noisy=noisy,
        shots=shots,
        points=points,
        repeats=repeats,
        rms_error=_rms(estimates - exact[:, None]),
        predicted_se=_rms(np.sqrt(exact_variance)),
        se_ratio=float(np.sqrt(spread.sum() / (spread.size * (repeats - 1)))),
        se_ratios=[round(r, 4) for r in ratios],
        se_intervals=[(round(lo, 4), round(hi, 4)) for lo, hi in intervals],
        se_ok=all(lo <= r <= hi for r, (lo, hi) in zip(ratios, intervals, strict=True)),
        bias_rms=_rms(errors),
        bias_max=float(np.abs(errors).max()),
        bias_z=[round(float(z), 3) for z in bias_z],
        bias_ok=None if noisy else bool(np.all(np.abs(bias_z) <= limit)),
        exact_noisy_bias_rms=None if exact_noisy is None else _rms(exact_noisy - exact),
        seconds=seconds,
    )


def binomial_excess_kurtosis(expectations: np.ndarray, shots: int) -> np.ndarray:
    """Excess kurtosis of the mean of ``shots`` outcomes of +-1 with these expectations."""
    p = np.clip((1 + expectations) / 2, 1e-6, 1 - 1e-6)
    pq = p * (1 - p)
    return (1 - 6 * pq) / (shots * pq)


def ratio_interval(mean: float, variance: float, alpha: float) -> tuple[float, float]:
    """Where ``sqrt(S / mean)`` lies with probability ``1 - alpha`` when ``S`` is a sum of
    squares with this mean and variance, as a scaled chi-square (Satterthwaite)."""
    scale = variance / (2 * mean)
    dof = mean / scale
    low, high = (chi_square_quantile(q, dof) * scale / mean for q in (alpha / 2, 1 - alpha / 2))
    return math.sqrt(low), math.sqrt(high)


def chi_square_quantile(q: float, dof: float) -> float:
    """The ``q`` quantile of chi-square with ``dof`` degrees of freedom (Wilson-Hilferty;
    within 0.1 % of the exact quantile from about 50 degrees of freedom)."""
    z = statistics.NormalDist().inv_cdf(q)
    return dof * max(1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof)), 0.0) ** 3


def agreement(stats: list[ShotStats]) -> dict[tuple[str, str], bool]:
    """Per case and backend: every shot count's SE test passed (and bias test, noiseless)."""
    verdicts: dict[tuple[str, str], bool] = {}
    for s in stats:
        ok = s.se_ok and s.bias_ok is not False
        verdicts[s.case, s.backend] = verdicts.get((s.case, s.backend), True) and ok
    return verdicts


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


# --- accuracy ------------------------------------------------------------------------------------


def _accuracy(run: Path, args: argparse.Namespace, scratch: Path) -> list[dict[str, object]]:
    """Validation accuracy on ``qiskit_aer`` at each shot count, without and with noise (with
    ``--quick``, with noise only)."""
    rows = []
    print(f"{'noise':<12} {'shots':>6} {'accuracy':>8} {'exact':>6} {'agree':>6} {'s':>6}")
    noises = [args.device] if args.quick else [None, args.device]
    for device in dict.fromkeys(noises):  # --device none: the noiseless runs only
        for shots in args.accuracy_shots:
            options = (("shots", shots), ("seed", 0))
            if device:
                options += (("fake_device", device),)
            start = time.perf_counter()
            result = evaluate(
                _copy_of(run, scratch),
                backend="qiskit_aer",
                backend_options=options,
                limit=args.samples,
            )
            parity = result["parity"]
            row = {
                "noise": device,
                "shots": shots,
                "samples": result["samples"],
                "accuracy": result["accuracy"],
                "exact_accuracy": parity["exact_accuracy"],
                "prediction_agreement": parity["prediction_agreement"],
                "seconds": round(time.perf_counter() - start, 1),
            }
            print(
                f"{device or 'noiseless':<12} {shots:>6} {row['accuracy']:>8.3f} "
                f"{row['exact_accuracy']:>6.3f} {row['prediction_agreement']:>6.3f} "
                f"{row['seconds']:>6.1f}",
                flush=True,
            )
            rows.append(row)
    return rows


def _copy_of(run: Path, scratch: Path) -> Path:
    """A fresh work directory holding only the run's best checkpoint: evaluations write
    their files there, not into the run."""
    copy = Path(tempfile.mkdtemp(dir=scratch, prefix="eval-"))
    best = WorkDir(copy).best
    best.parent.mkdir(parents=True)
    shutil.copyfile(WorkDir(run).best, best)
    return copy


# --- tables and plots ----------------------------------------------------------------------------

_STATS_HEADER = (
    f"{'case':<6} {'backend':<24} {'shots':>6} {'RMS err':>8} {'pred SE':>8} {'SE ratio':>8} "
    f"{'interval':>13} {'SE ok':>5} {'bias RMS':>8} {'bias ok':>7} {'s':>6}"
)


def _stats_row(s: ShotStats) -> str:
    low = min(lo for lo, _ in s.se_intervals)
    high = max(hi for _, hi in s.se_intervals)
    bias_ok = "-" if s.bias_ok is None else ("yes" if s.bias_ok else "NO")
    return (
        f"{s.case:<6} {s.backend:<24} {s.shots:>6} {s.rms_error:>8.4f} {s.predicted_se:>8.4f} "
        f"{s.se_ratio:>8.3f} {f'{low:.2f}-{high:.2f}':>13} {'yes' if s.se_ok else 'NO':>5} "
        f"{s.bias_rms:>8.4f} {bias_ok:>7} {s.seconds:>6.1f}"
    )


def _plot_errors(stats: list[ShotStats], out: Path) -> None:
    """Per case: RMS error against shots with the prediction, and each observable's SE ratio
    with the acceptance interval."""
    cases = list(dict.fromkeys(s.case for s in stats))
    fig, axes = plt.subplots(2, len(cases), figsize=(5.5 * len(cases), 8), squeeze=False)
    for column, case in enumerate(cases):
        top, bottom = axes[0][column], axes[1][column]
        mine = [s for s in stats if s.case == case]
        for k, backend in enumerate(dict.fromkeys(s.backend for s in mine)):
            series = [s for s in mine if s.backend == backend]
            shots = [s.shots for s in series]
            color = f"C{k}"
            top.plot(shots, [s.rms_error for s in series], "o-", color=color, label=backend)
            if series[0].noisy:
                top.plot(
                    shots, [s.bias_rms for s in series], ":", color=color, label=f"{backend}: bias"
                )
            offset = 1.06 ** (k - 1.5)  # side by side on the log axis
            per_observable = [(s.shots * offset, r) for s in series for r in s.se_ratios]
            bottom.plot(*zip(*per_observable, strict=True), ".", color=color, label=backend)
        shots = sorted({s.shots for s in mine})
        low = [min(lo for s in mine if s.shots == x for lo, _ in s.se_intervals) for x in shots]
        high = [max(hi for s in mine if s.shots == x for _, hi in s.se_intervals) for x in shots]
        bottom.fill_between(shots, low, high, color="0.9", label="acceptance interval")
        predicted = [next(s.predicted_se for s in mine if s.shots == x) for x in shots]
        top.plot(shots, predicted, "--", color="black", label="predicted sqrt((1-<Z>^2)/s)")
        bottom.axhline(1.0, color="black", linewidth=0.8)
        top.set(
            xscale="log",
            yscale="log",
            xlabel="shots s",
            ylabel="RMS error of <Z_j>",
            title=f"{case}: error against the exact value",
        )
        bottom.set(
            xscale="log",
            xlabel="shots s",
            ylabel="observed / predicted SE",
            title=f"{case}: SE ratio per observable",
        )
        top.legend(fontsize=7)
        bottom.legend(fontsize=7)
    save_figure(fig, out, "error")


def _plot_accuracy(rows: list[dict[str, object]], out: Path) -> None:
    """Accuracy, and agreement with the exact simulator's predictions, against shots."""
    if not rows:
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for k, noise in enumerate(dict.fromkeys(r["noise"] for r in rows)):
        mine = [r for r in rows if r["noise"] == noise]
        shots = [r["shots"] for r in mine]
        label = f"qiskit_aer, {noise or 'noiseless'}"
        left.plot(shots, [r["accuracy"] for r in mine], "o-", color=f"C{k}", label=label)
        right.plot(
            shots, [r["prediction_agreement"] for r in mine], "o-", color=f"C{k}", label=label
        )
    left.axhline(rows[0]["exact_accuracy"], color="black", linestyle="--", label="exact")
    images = f"{rows[0]['samples']} validation images"
    left.set(xscale="log", xlabel="shots per circuit", ylabel="accuracy", title=images)
    right.set(
        xscale="log",
        xlabel="shots per circuit",
        ylabel="share of predictions",
        title="agreement with the exact simulator",
    )
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    save_figure(fig, out, "accuracy")


if __name__ == "__main__":
    main()
