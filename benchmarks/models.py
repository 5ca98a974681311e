"""Training throughput of the thesis presets: samples per second, forward + backward + AdamW.

Run from the repository root::

    python -m benchmarks.models          # MNIST QRK4_ENH, RK4_ENH x3; jax and tensorcircuit
    python -m benchmarks.models --quick  # digits-qrk1 on jax, a few steps: for CI

Each (preset, backend) compiles qrkt's own training step (``qrkt.training.steps``: the thesis
recipe, batch 64 on one device) on random inputs of the preset's shape, then times ``--steps``
steps, each ended by ``block_until_ready``; the median step gives samples/s and the time of a
54,000-sample MNIST epoch, next to the thesis's A100 epoch (3,539 s / 65 epochs = 54 s for
QRK4_ENH). Classical presets have no circuits, so they run once, whatever the backend.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import jax
import numpy as np

from benchmarks.backends import machine
from qrkt.presets import get_preset
from qrkt.training.config import TrainConfig
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import training_steps

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "models.json"
MNIST_EPOCH = 54_000
THESIS_EPOCH_S = 3539 / 65  # QRK4_ENH on an A100 (REFERENCE §4)


@dataclass(frozen=True)
class Throughput:
    preset: str
    backend: str
    batch: int
    compile_s: float
    step_ms: float
    samples_per_s: float
    mnist_epoch_s: float


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    presets = ["digits-qrk1"] if args.quick else args.presets
    backends = ["jax"] if args.quick else args.backends
    steps = 3 if args.quick else args.steps
    started, clock = datetime.now(UTC), time.perf_counter()
    print(
        f"{'preset':<18} {'backend':<14} {'compile s':>9} {'step ms':>8} {'samples/s':>9} "
        f"{'MNIST epoch s':>13}"
    )
    results = []
    for preset in presets:
        quantum = get_preset(preset).model.quantum
        for backend in backends if quantum else ["-"]:
            result = measure(preset, "jax" if backend == "-" else backend, args.batch, steps)
            result = Throughput(**{**asdict(result), "backend": backend})
            results.append(result)
            print(
                f"{preset:<18} {backend:<14} {result.compile_s:>9.1f} {result.step_ms:>8.1f} "
                f"{result.samples_per_s:>9.0f} {result.mnist_epoch_s:>13.1f}",
                flush=True,
            )
    report = {
        "command": shlex.join(sys.orig_argv),
        "started": started.isoformat(timespec="seconds"),
        "elapsed_s": round(time.perf_counter() - clock, 1),
        "machine": machine(),
        "thesis_epoch_s": round(THESIS_EPOCH_S, 1),
        "settings": {"quick": args.quick, "batch": args.batch, "steps": steps},
        "results": [asdict(r) for r in results],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out} ({report['elapsed_s']} s)")


def measure(preset: str, backend: str, batch: int, steps: int) -> Throughput:
    """Compile the training step of ``preset`` on ``backend`` and time ``steps`` steps."""
    config = get_preset(preset).model
    parallel = DataParallel.over(jax.devices()[:1])
    rng = np.random.default_rng(0)
    if config.kind == "vision":
        inputs = rng.normal(size=(batch, *config.image_shape)).astype(np.float32)
    else:
        inputs = rng.integers(0, config.vocabulary_size, (batch, config.max_length), np.int32)
    labels = rng.integers(0, config.num_classes, batch).astype(np.int32)
    shapes = tuple(
        jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=parallel.sharded) for a in (inputs, labels)
    )
    compiled = training_steps(config, TrainConfig(preset, backend=backend), shapes, parallel)
    state = compiled.init()
    inputs, labels = parallel.shard(inputs), parallel.shard(labels)
    state, losses, _ = compiled.train(state, inputs, labels)  # warm-up
    losses.block_until_ready()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        state, losses, _ = compiled.train(state, inputs, labels)
        losses.block_until_ready()
        times.append(time.perf_counter() - start)
    step = statistics.median(times)
    return Throughput(
        preset=preset,
        backend=backend,
        batch=batch,
        compile_s=round(compiled.compile_seconds, 2),
        step_ms=round(step * 1e3, 2),
        samples_per_s=round(batch / step, 1),
        mnist_epoch_s=round(MNIST_EPOCH / (batch / step), 1),
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--presets",
        type=lambda text: text.split(","),
        default=["mnist-qrk4-enh", "mnist-rk4-enh-x3"],
        help="comma-separated presets (default: mnist-qrk4-enh,mnist-rk4-enh-x3)",
    )
    parser.add_argument(
        "--backends",
        type=lambda text: text.split(","),
        default=["jax", "tensorcircuit"],
        help="backends of the quantum presets (default: jax,tensorcircuit)",
    )
    parser.add_argument("--batch", type=int, default=64, help="samples per step (default: 64)")
    parser.add_argument("--steps", type=int, default=50, help="timed steps (default: 50)")
    parser.add_argument("--quick", action="store_true", help="digits-qrk1 on jax, 3 steps")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
