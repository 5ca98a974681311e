"""Throughput of the thesis presets: training on the JAX backends, inference on every backend,
and what a host backend's gradient (parameter shift) costs against autodiff.

Run from the repository root::

    python -m benchmarks.models          # the three tables below
    python -m benchmarks.models --quick  # digits-qrk1 inference and gradient, B = 4: for CI

Every number is samples per second of one compiled step of qrkt's own (``qrkt.training.steps``,
one device) on random inputs of the preset's shape: the median of ``--steps`` timed steps after
a warm-up step, each ended by ``block_until_ready``, with malloc's thresholds raised as qrkt's
training loop raises them (:mod:`qrkt.host_memory`).

- training: forward + backward + AdamW (the thesis recipe), batch 64, ``--presets`` (MNIST
  QRK4_ENH and the classical RK4_ENH x3) on ``--backends`` (jax and tensorcircuit), with the
  time of a 54,000-sample MNIST epoch next to the thesis's A100 epoch (3,539 s / 65 epochs =
  54 s for QRK4_ENH). Classical presets have no circuits, so they run once.
- inference: the evaluation step (forward only) of ``--inference-preset`` (MNIST QRK4_ENH) on
  every backend, exact where the backend can be; host backends at ``--host-batch`` samples
  (their cost is per circuit, so samples/s hardly depends on the batch) and ``--host-steps``
  timed steps.
- gradient: the training step of ``--gradient-preset`` (digits-qrk1) at ``--host-batch`` on the
  JAX backends (autodiff) and on host backends through :mod:`qrkt.backends.bridge`:
  ``qiskit_aer`` with the parameter-shift rule (2K circuits per sample and circuit, K its
  parametrized gates) and ``tfq`` with TFQ's adjoint method. ``cirq``'s parameter-shift step
  takes minutes (its circuits cost about 10x Aer's) and is left out unless asked for.
  Circuits per step are read from the backend's counters.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import matplotlib
import numpy as np

from benchmarks.recording import name_list, run_record, save_figure, write_report
from qrkt.backends.registry import backend_entry, get_backend
from qrkt.host_memory import keep_step_memory
from qrkt.models import ModelConfig
from qrkt.presets import build_model, example_inputs, get_preset
from qrkt.training.config import TrainConfig
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import eval_step, training_steps

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "models.json"
MNIST_EPOCH = 54_000
THESIS_EPOCH_S = 3539 / 65  # QRK4_ENH on an A100 (REFERENCE §4)
#: Inference candidates: label -> (backend, options). Exact unless the backend cannot be.
INFERENCE: dict[str, tuple[str, tuple[tuple[str, object], ...]]] = {
    "jax": ("jax", ()),
    "tensorcircuit": ("tensorcircuit", ()),
    "qiskit_aer": ("qiskit_aer", ()),
    "qiskit_aer 1024 shots": ("qiskit_aer", (("shots", 1024), ("seed", 0))),
    "ibm_runtime 1024 shots": ("ibm_runtime", (("shots", 1024), ("seed", 0))),
    "cirq": ("cirq", ()),
    "tfq": ("tfq", ()),
}
GRADIENT_BACKENDS = ("jax", "tensorcircuit", "qiskit_aer", "tfq")


@dataclass(frozen=True)
class Throughput:
    """One compiled step of a preset on a backend.

    ``circuits_per_step`` and ``shots_per_step`` are what the backend's counters recorded in
    a step (host backends only; ``None`` for JAX backends, which count nothing inside jit).
    """

    kind: str  # "training", "inference" or "gradient"
    preset: str
    backend: str
    batch: int
    compile_s: float
    step_ms: float
    samples_per_s: float
    mnist_epoch_s: float
    circuits_per_step: int | None = None
    shots_per_step: int | None = None


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    keep_step_memory()  # as qrkt's training loop does
    started, clock = datetime.now(UTC), time.perf_counter()
    results: list[Throughput] = []
    skipped: dict[str, str] = {}
    print(_HEADER)
    for preset in args.presets:
        quantum = get_preset(preset).model.quantum
        for backend in args.backends if quantum else ["-"]:
            result = training(preset, "jax" if backend == "-" else backend, args.batch, args.steps)
            results.append(_report(Throughput(**{**asdict(result), "backend": backend})))
    for label in args.inference:
        name, options = INFERENCE[label]
        if _missing(name, label, skipped):
            continue
        steps = args.steps if _traced(name) else args.host_steps
        batch = args.batch if _traced(name) else args.host_batch
        result = inference(args.inference_preset, name, options, batch, steps)
        results.append(_report(Throughput(**{**asdict(result), "backend": label})))
    for name in args.gradient:
        if _missing(name, name, skipped):
            continue
        steps = args.steps if _traced(name) else args.host_steps
        result = training(args.gradient_preset, name, args.host_batch, steps)
        results.append(_report(Throughput(**{**asdict(result), "kind": "gradient"})))
    for label, reason in skipped.items():
        print(f"skipped {label}: {reason}")
    report = {
        **run_record(started, clock),
        "thesis_epoch_s": round(THESIS_EPOCH_S, 1),
        "settings": {key: value for key, value in vars(args).items() if key != "out"},
        "skipped": skipped,
        "results": [asdict(r) for r in results],
    }
    _plot(results, args.out)
    write_report(args.out, report)


def training(preset: str, backend: str, batch: int, steps: int) -> Throughput:
    """Compile the training step of ``preset`` on ``backend`` and time ``steps`` steps."""
    config = get_preset(preset).model
    parallel = DataParallel.over(jax.devices()[:1])
    inputs, labels = _random_batch(config, batch)
    shapes = tuple(
        jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=parallel.sharded) for a in (inputs, labels)
    )
    compiled = training_steps(config, TrainConfig(preset, backend=backend), shapes, parallel)
    state = compiled.init()
    inputs, labels = parallel.shard(inputs), parallel.shard(labels)

    def step() -> jax.Array:
        nonlocal state
        state, losses, _ = compiled.train(state, inputs, labels)
        return losses

    return _timed("training", preset, backend, (), batch, compiled.compile_seconds, step, steps)


def inference(
    preset: str, backend: str, options: tuple[tuple[str, object], ...], batch: int, steps: int
) -> Throughput:
    """Compile the evaluation step of ``preset`` on ``backend`` and time ``steps`` steps."""
    config = get_preset(preset).model
    parallel = DataParallel.over(jax.devices()[:1])
    inputs, labels = _random_batch(config, batch)
    model = build_model(config)  # parameters do not depend on the backend
    params = jax.jit(model.init)(jax.random.PRNGKey(0), example_inputs(config))["params"]
    start = time.perf_counter()
    compiled = eval_step(config, parallel, backend, options).lower(params, inputs, labels)
    compiled = compiled.compile()
    compile_s = time.perf_counter() - start
    return _timed(
        "inference",
        preset,
        backend,
        options,
        batch,
        compile_s,
        lambda: compiled(params, inputs, labels)[0],
        steps,
    )


def _timed(
    kind: str,
    preset: str,
    backend: str,
    options: tuple[tuple[str, object], ...],
    batch: int,
    compile_s: float,
    step: Callable[[], jax.Array],
    steps: int,
) -> Throughput:
    """Time ``steps`` calls of ``step`` after a warm-up, counting the host backend's circuits."""
    step().block_until_ready()
    counts = None if _traced(backend) else get_backend(backend, **dict(options)).counts
    if counts is not None:
        counts.reset()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step().block_until_ready()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return Throughput(
        kind=kind,
        preset=preset,
        backend=backend,
        batch=batch,
        compile_s=round(compile_s, 2),
        step_ms=round(seconds * 1e3, 2),
        samples_per_s=round(batch / seconds, 2),
        mnist_epoch_s=round(MNIST_EPOCH * seconds / batch, 1),
        circuits_per_step=None if counts is None else counts.circuits // steps,
        shots_per_step=None if counts is None else counts.shots // steps,
    )


def _random_batch(config: ModelConfig, batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if config.kind == "vision":
        inputs = rng.normal(size=(batch, *config.image_shape)).astype(np.float32)
    else:
        inputs = rng.integers(0, config.vocabulary_size, (batch, config.max_length), np.int32)
    return inputs, rng.integers(0, config.num_classes, batch).astype(np.int32)


def _traced(backend: str) -> bool:
    """Whether JAX traces the backend (autodiff, nothing counted) rather than calling it."""
    return backend_entry(backend).capabilities.autodiff


def _missing(backend: str, label: str, skipped: dict[str, str]) -> bool:
    entry = backend_entry(backend)
    if not entry.installed:
        skipped[label] = f"not installed ({entry.install_command})"
    return not entry.installed


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--presets",
        type=name_list,
        help="training: comma-separated presets (default: mnist-qrk4-enh,mnist-rk4-enh-x3)",
    )
    parser.add_argument(
        "--backends", type=name_list, help="training backends (default: jax,tensorcircuit)"
    )
    parser.add_argument("--inference-preset", help="default: mnist-qrk4-enh")
    parser.add_argument("--inference", type=name_list, help=f"default: {','.join(INFERENCE)}")
    parser.add_argument("--gradient-preset", default="digits-qrk1", help="default: digits-qrk1")
    parser.add_argument(
        "--gradient", type=name_list, help=f"default: {','.join(GRADIENT_BACKENDS)}"
    )
    parser.add_argument("--batch", type=int, default=64, help="JAX backends (default: 64)")
    parser.add_argument("--host-batch", type=int, help="host backends (default: 8; quick 4)")
    parser.add_argument("--steps", type=int, help="timed steps, JAX (default: 30; quick 3)")
    parser.add_argument("--host-steps", type=int, help="timed steps, host (default: 2; quick 1)")
    parser.add_argument(
        "--quick", action="store_true", help="no training; digits-qrk1 on jax and qiskit_aer"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON; PNG beside")
    args = parser.parse_args(argv)
    quick = args.quick
    if args.presets is None:
        args.presets = [] if quick else ["mnist-qrk4-enh", "mnist-rk4-enh-x3"]
    args.backends = args.backends or (["jax"] if quick else ["jax", "tensorcircuit"])
    args.inference_preset = args.inference_preset or ("digits-qrk1" if quick else "mnist-qrk4-enh")
    args.inference = args.inference or (["jax", "qiskit_aer"] if quick else list(INFERENCE))
    args.gradient = args.gradient or (["qiskit_aer"] if quick else list(GRADIENT_BACKENDS))
    args.host_batch = args.host_batch or (4 if quick else 8)
    args.steps = args.steps or (3 if quick else 30)
    args.host_steps = args.host_steps or (1 if quick else 2)
    unknown = sorted(set(args.inference) - INFERENCE.keys())
    if unknown:
        parser.error(f"unknown inference backends {unknown}; known: {', '.join(INFERENCE)}")
    return args


_HEADER = (
    f"{'kind':<9} {'preset':<18} {'backend':<22} {'B':>3} {'compile s':>9} {'step ms':>9} "
    f"{'samples/s':>9} {'MNIST epoch s':>13} {'circuits/step':>13}"
)


def _report(r: Throughput) -> Throughput:
    """Print ``r`` as a table row; return it."""
    circuits = "-" if r.circuits_per_step is None else f"{r.circuits_per_step:,}"
    print(
        f"{r.kind:<9} {r.preset:<18} {r.backend:<22} {r.batch:>3} {r.compile_s:>9.1f} "
        f"{r.step_ms:>9.1f} {r.samples_per_s:>9.1f} {r.mnist_epoch_s:>13.1f} {circuits:>13}",
        flush=True,
    )
    return r


def _plot(results: list[Throughput], out: Path) -> None:
    """Samples per second (log) per kind: one panel each."""
    kinds = list(dict.fromkeys(r.kind for r in results))
    fig, axes = plt.subplots(1, len(kinds), figsize=(5 * len(kinds), 3.8), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        mine = [r for r in results if r.kind == kind]
        labels = [f"{r.preset}\n{r.backend} (B={r.batch})" for r in mine]
        ax.barh(labels, [r.samples_per_s for r in mine], color=f"C{kinds.index(kind)}")
        ax.set(xscale="log", xlabel="samples / s", title=kind)
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
    save_figure(fig, out, "throughput")


if __name__ == "__main__":
    main()
