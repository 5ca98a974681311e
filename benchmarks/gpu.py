"""Training on a GPU (issue 20): MNIST QRK4_ENH training throughput, ``jax`` against
TensorCircuit on the speed grid, and the QRKT-GAN step, in one run meant to take under 8 minutes
on one H200 (not yet run on a GPU).

Run from the repository root::

    python -m benchmarks.gpu                  # on the GPU machine; random MNIST-shaped images
    python -m benchmarks.gpu --data-dir DIR   # the epoch on the MNIST files in DIR
    python -m benchmarks.gpu --quick          # tiny sizes, seconds on a CPU: for CI

Everything runs on ``jax.devices()``; the figures mean something only where those are GPUs.

1. training: ``--preset`` (``mnist-qrk4-enh``) on ``jax`` at its batch (64). The compiled
   training step (forward, backward, AdamW) on one device, timed by
   :func:`benchmarks.models.training` (median of ``--steps`` after a warm-up; compile time
   apart), and the 54,000-sample epoch projected from it; then one real epoch of
   :func:`qrkt.training.train_and_evaluate` (training, then validation on 6,000 images;
   data-parallel over every device, and on a single one with the step's compiled code), which
   the thesis's A100 epoch of 3,539 s / 65 = 54 s compares with. The epoch trains on the MNIST
   files in ``--data-dir`` or, without one, on random images written as MNIST's files (a step
   costs the same whatever the pixels).
2. circuits: the ``qrkt`` ansatz with L = 2 (so ``jax`` simulates the state: no product-state
   readout), n in ``--widths`` (4 to 20), B = ``--batch`` (1024), on ``jax`` (its default
   blocks of 64 samples, and the whole batch as one block) and ``tensorcircuit``: medians of
   jitted forward and gradient calls (:mod:`benchmarks.timing`), the candidates' calls taking
   turns so that drift hits them alike, and each one's time over ``jax``'s. A candidate that
   runs out of device memory at a width is recorded as such.
3. GAN: one generator step (``--critic-steps`` critic updates on batches of ``--gan-batch``,
   then the generator's) of each of ``--gan-presets`` on ``jax``: median of ``--steps``.

Results go to ``benchmarks/results/gpu/gpu.json`` with the command, the machine and its JAX
devices, rewritten after each part (a run stopped early keeps the parts it finished);
``--parts`` runs some of the three only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.models import THESIS_EPOCH_S, training
from benchmarks.recording import int_list, name_list, run_record, write_report
from benchmarks.timing import Settings, gradient
from qrkt.backends.bridge import expectation_function
from qrkt.circuits.ansatz import qrkt_ansatz
from qrkt.data.mnist import IMAGES_MAGIC, LABELS_MAGIC
from qrkt.gan import GanTrainConfig, get_gan_preset
from qrkt.gan.training import gan_steps
from qrkt.presets import get_preset
from qrkt.tables import format_table
from qrkt.training import TrainConfig, train_and_evaluate
from qrkt.training.parallel import describe_devices

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gpu" / "gpu.json"
LAYERS = 2
FULL = Settings(budget_s=3.0, min_repeats=5, max_repeats=100)
QUICK = Settings(budget_s=0.05, min_repeats=2, max_repeats=5)
MNIST_IMAGES = 60_000  # MNIST's training files: 54,000 to train on, 6,000 to validate


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    started, clock = datetime.now(UTC), time.perf_counter()
    devices = describe_devices(jax.devices())
    print(f"JAX devices: {devices}")
    report: dict[str, object] = {
        "devices": devices,
        "device_kinds": [device.device_kind for device in jax.devices()],
        "thesis_epoch_s": round(THESIS_EPOCH_S, 1),
        "settings": {key: value for key, value in vars(args).items() if key != "out"},
    }
    for name in args.parts:
        print(f"\n{name}", flush=True)
        report[name] = PARTS[name](args)
        write_report(args.out, {**run_record(started, clock), **report})


def _training(args: argparse.Namespace) -> dict[str, object]:
    """The compiled step's throughput, and one real epoch (which reuses the compiled steps)."""
    config = TrainConfig(args.preset, data_dir=args.data_dir, epochs=1, limit=args.limit)
    step = training(args.preset, "jax", config.batch_size, args.steps)
    data = args.data_dir or get_preset(args.preset).dataset
    with tempfile.TemporaryDirectory() as temporary:
        if args.data_dir is None and data == "mnist":
            data = "random images in MNIST's files"
            config = replace(config, data_dir=str(synthetic_mnist(Path(temporary), args.images)))
        (record,) = train_and_evaluate(config, Path(temporary) / "run").history
    epoch = {
        "data": data,
        "train_samples": record["step"] * config.batch_size,
        "epoch_s": round(record["epoch_seconds"], 1),
        "samples_per_s": round(record["samples_per_second"], 1),
    }
    print(
        format_table(
            [
                ("", "compile s", "step ms", "steps/s", "samples/s", "54,000-sample epoch s"),
                (
                    f"{args.preset}, compiled step",
                    f"{step.compile_s:.1f}",
                    f"{step.step_ms:.2f}",
                    f"{1e3 / step.step_ms:.1f}",
                    f"{step.samples_per_s:,.0f}",
                    f"{step.mnist_epoch_s:.1f} (projected)",
                ),
                (
                    f"one epoch, {epoch['train_samples']:,} samples + validation",
                    "-",
                    "-",
                    "-",
                    f"{epoch['samples_per_s']:,.0f}",
                    f"{epoch['epoch_s']:.1f} (measured)",
                ),
                ("thesis, A100", "-", "-", "-", "-", f"{THESIS_EPOCH_S:.1f}"),
            ]
        )
    )
    return {"step": asdict(step), "steps_per_s": round(1e3 / step.step_ms, 2), "epoch": epoch}


def synthetic_mnist(directory: Path, images: int = MNIST_IMAGES) -> Path:
    """Write ``images`` random 28x28 images and labels as MNIST's training IDX files in
    ``directory``; return it."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": (IMAGES_MAGIC, rng.integers(0, 256, (images, 28, 28), np.uint8)),
        "train-labels-idx1-ubyte": (LABELS_MAGIC, rng.integers(0, 10, images, np.uint8)),
    }
    for name, (magic, array) in arrays.items():
        header = b"".join(size.to_bytes(4, "big") for size in (magic, *array.shape))
        (directory / name).write_bytes(header + array.tobytes())
    return directory


def _circuits(args: argparse.Namespace) -> list[dict[str, object]]:
    """Forward and gradient of the ansatz on each candidate at each width, interleaved."""
    settings = QUICK if args.quick else FULL
    candidates = {
        "jax": ("jax", {}),
        f"jax, blocks of {args.batch}": ("jax", {"block_size": args.batch}),
        "tensorcircuit": ("tensorcircuit", {}),
    }
    rows: list[dict[str, object]] = []
    for n in args.widths:
        circuit = qrkt_ansatz(n, LAYERS)
        rng = np.random.default_rng(n)
        x = jnp.asarray(rng.uniform(-np.pi, np.pi, (args.batch, circuit.n_inputs)), jnp.float32)
        w = jnp.asarray(rng.uniform(-np.pi, np.pi, circuit.n_weights), jnp.float32)
        calls = {}
        for label, (backend, options) in candidates.items():
            fn = expectation_function(backend, circuit, **options)
            calls[label, "forward"] = jax.jit(fn)
            calls[label, "gradient"] = jax.jit(gradient(fn))
        measured = _interleaved({key: partial(f, x, w) for key, f in calls.items()}, settings)
        group = []
        for label in candidates:
            forward, grad = measured[label, "forward"], measured[label, "gradient"]
            group.append(
                {
                    "backend": label,
                    "n": n,
                    "batch": args.batch,
                    "layers": LAYERS,
                    "forward_ms": forward.get("ms"),
                    "gradient_ms": grad.get("ms"),
                    "compile_forward_s": forward.get("compile_s"),
                    "compile_gradient_s": grad.get("compile_s"),
                    "repeats": min(forward.get("repeats", 0), grad.get("repeats", 0)),
                    "error": forward.get("error") or grad.get("error"),
                }
            )
        for row in group:
            for kind in ("forward", "gradient"):
                ms, base = row[f"{kind}_ms"], group[0][f"{kind}_ms"]
                row[f"{kind}_x_jax"] = None if ms is None or base is None else round(ms / base, 2)
        print(_circuit_table(group), flush=True)
        rows += group
    return rows


def _interleaved(
    calls: dict[tuple[str, str], Callable[[], object]], settings: Settings
) -> dict[tuple[str, str], dict[str, object]]:
    """Each call's compile time (its first call less its median) and median time (ms), the
    calls taking turns round after round until ``settings`` says to stop. A call that runs out
    of device memory gets an ``error`` instead, and leaves the rounds."""
    first: dict[tuple[str, str], float] = {}
    results: dict[tuple[str, str], dict[str, object]] = {}
    for key, call in calls.items():
        try:
            first[key] = _seconds(call)
        except jax.errors.JaxRuntimeError as error:
            if "RESOURCE_EXHAUSTED" not in str(error):
                raise
            results[key] = {"error": "out of device memory"}
    times: dict[tuple[str, str], list[float]] = {key: [] for key in first}
    deadline = time.perf_counter() + settings.budget_s
    rounds = 0
    while rounds < settings.min_repeats or (
        rounds < settings.max_repeats and time.perf_counter() < deadline
    ):
        for key in first:
            times[key].append(_seconds(calls[key]))
        rounds += 1
    for key, steady in times.items():
        median = statistics.median(steady)
        results[key] = {
            "ms": round(median * 1e3, 4),
            "compile_s": round(max(first[key] - median, 0.0), 2),
            "repeats": len(steady),
        }
    return results


def _seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    jax.block_until_ready(call())
    return time.perf_counter() - start


def _circuit_table(group: list[dict[str, object]]) -> str:
    rows = [
        ("n", "B", "backend", "forward ms", "gradient ms", "compile s", "fwd x jax", "grad x jax")
    ]
    for r in group:
        if r["error"]:
            rows.append(
                (str(r["n"]), str(r["batch"]), str(r["backend"]), str(r["error"]), "", "", "", "")
            )
            continue
        rows.append(
            (
                str(r["n"]),
                str(r["batch"]),
                str(r["backend"]),
                f"{r['forward_ms']:.3g}",
                f"{r['gradient_ms']:.3g}",
                f"{r['compile_forward_s']:.1f} / {r['compile_gradient_s']:.1f}",
                _ratio(r["forward_x_jax"]),
                _ratio(r["gradient_x_jax"]),
            )
        )
    return format_table(rows)


def _ratio(value: object) -> str:
    return "-" if value is None else f"{value:.2f}"


def _gan(args: argparse.Namespace) -> list[dict[str, object]]:
    """One compiled generator step of each GAN preset, on random images of its shape."""
    configs = [
        GanTrainConfig(preset, batch_size=args.gan_batch, critic_steps=args.critic_steps)
        for preset in args.gan_presets
    ]
    rows = [_gan_step(config, args.steps) for config in configs]
    header = ("preset", "B", "critic steps", "compile s", "step ms", "steps/s", "real images/s")
    print(format_table([header, *([str(v) for v in row.values()] for row in rows)]))
    return rows


def _gan_step(config: GanTrainConfig, steps: int) -> dict[str, object]:
    model = get_gan_preset(config.preset).model
    compiled = gan_steps(model, config, 1000)  # the run's length only sets the (constant) rate
    state = compiled.init()
    shape = (config.critic_steps, config.batch_size, *model.image_shape)
    real = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, shape), jnp.float32)

    def step() -> object:
        nonlocal state
        state, metrics = compiled.train(state, real)
        return metrics

    _seconds(step)  # warm-up
    seconds = statistics.median(_seconds(step) for _ in range(steps))
    return {
        "preset": config.preset,
        "batch": config.batch_size,
        "critic_steps": config.critic_steps,
        "compile_s": round(compiled.compile_seconds, 1),
        "step_ms": round(seconds * 1e3, 2),
        "steps_per_s": round(1 / seconds, 2),
        "real_images_per_s": round(config.critic_steps * config.batch_size / seconds, 1),
    }


PARTS: dict[str, Callable[[argparse.Namespace], object]] = {
    "training": _training,
    "circuits": _circuits,
    "gan": _gan,
}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="classical digits presets, n = 2, B = 32: for CI"
    )
    parser.add_argument(
        "--preset", help="training preset (default: mnist-qrk4-enh; quick digits-rk1)"
    )
    parser.add_argument("--data-dir", help="MNIST's files (default: random images)")
    parser.add_argument(
        "--images", type=int, default=MNIST_IMAGES, help="random images to write (default: 60,000)"
    )
    parser.add_argument("--limit", type=int, help="the epoch: the first N samples only (quick 128)")
    parser.add_argument("--steps", type=int, help="timed steps (default: 30; quick 2)")
    parser.add_argument("--widths", type=int_list, help="qubit counts (default: 4,8,12,16,20)")
    parser.add_argument("--batch", type=int, help="circuit batch (default: 1024; quick 32)")
    parser.add_argument(
        "--gan-presets",
        type=name_list,
        help="default: digits-qgan,mnist-qgan; quick digits-transgan",
    )
    parser.add_argument("--gan-batch", type=int, help="(default: 32; quick 4)")
    parser.add_argument("--critic-steps", type=int, help="(default: 5; quick 1)")
    parser.add_argument(
        "--parts", type=name_list, default=list(PARTS), help=f"default: {','.join(PARTS)}"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.parts) - PARTS.keys())
    if unknown:
        parser.error(f"unknown parts {unknown}; known: {', '.join(PARTS)}")
    quick = args.quick
    args.preset = args.preset or ("digits-rk1" if quick else "mnist-qrk4-enh")
    args.limit = args.limit or (128 if quick else None)
    args.steps = args.steps or (2 if quick else 30)
    args.widths = args.widths or ([2] if quick else [4, 8, 12, 16, 20])
    args.batch = args.batch or (32 if quick else 1024)
    args.gan_presets = args.gan_presets or (
        ["digits-transgan"] if quick else ["digits-qgan", "mnist-qgan"]
    )
    args.gan_batch = args.gan_batch or (4 if quick else 32)
    args.critic_steps = args.critic_steps or (1 if quick else 5)
    return args


if __name__ == "__main__":
    main()
