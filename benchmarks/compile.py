"""How long the presets' steps take to compile: cold, and warm from JAX's persistent
compilation cache (:mod:`qrkt.compile_cache`), which qrkt turns on by default.

Run from the repository root::

    python -m benchmarks.compile                       # mnist-qrk4-enh, digits-qgan
    python -m benchmarks.compile --quick                # digits-qrk1 at batch 4: for CI

Each preset's steps are compiled in a fresh process (the training step of a classifier, with
its evaluation step, at batch 64; a GAN's generator and critic steps at its preset batch), twice:
first with an empty cache directory (cold), then again in a second process with the directory
the first one filled (warm: what a resumed run or a second evaluation of the same model pays).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recording import name_list, run_child, run_record, write_report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "compile.json"
PRESETS = ("mnist-qrk4-enh", "digits-qgan")
BATCH = 64


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    if args.child:
        print(json.dumps({"compile_seconds": _compile(args.child, args.batch)}))
        return
    started, clock = datetime.now(UTC), time.perf_counter()
    rows = []
    print(f"{'preset':<18} {'cold s':>8} {'warm s':>8}  warm/cold")
    for preset in args.presets:
        with tempfile.TemporaryDirectory(prefix="qrkt-compile-") as cache:
            cold, warm = (_child(preset, args.batch, cache) for _ in range(2))
        rows.append({"preset": preset, "cold_s": round(cold, 2), "warm_s": round(warm, 2)})
        print(f"{preset:<18} {cold:>8.1f} {warm:>8.1f}  {warm / cold:>8.2f}", flush=True)
    write_report(
        args.out,
        {**run_record(started, clock), "settings": {"batch": args.batch}, "results": rows},
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", type=name_list, help=f"default: {','.join(PRESETS)}")
    parser.add_argument("--batch", type=int, default=BATCH, help="classifiers' batch (64)")
    parser.add_argument("--quick", action="store_true", help="digits-qrk1 at batch 4: for CI")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    parser.add_argument("--child", metavar="PRESET", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.batch = 4
    args.presets = args.presets or (["digits-qrk1"] if args.quick else list(PRESETS))
    return args


def _child(preset: str, batch: int, cache: str) -> float:
    """Compile ``preset``'s steps in a new process with the cache in ``cache``; seconds."""
    arguments = ["--child", preset, "--batch", str(batch)]
    return run_child("compile", arguments, {"QRKT_COMPILE_CACHE": cache})["compile_seconds"]


def _compile(preset: str, batch: int) -> float:
    """Compile ``preset``'s steps here, the cache turned on as qrkt's trainings do."""
    import jax

    from qrkt.compile_cache import use_compile_cache
    from qrkt.gan import GAN_PRESETS, GanTrainConfig
    from qrkt.gan.training import gan_steps
    from qrkt.presets import get_preset
    from qrkt.training.config import TrainConfig
    from qrkt.training.parallel import DataParallel
    from qrkt.training.steps import training_steps

    use_compile_cache()
    if preset in GAN_PRESETS:
        config = GanTrainConfig(preset)
        return gan_steps(GAN_PRESETS[preset].model, config, 1_000).compile_seconds
    model = get_preset(preset).model
    parallel = DataParallel.over(jax.devices()[:1])
    shape = (batch, *(model.image_shape or (model.max_length,)))
    dtype = jax.numpy.float32 if model.kind == "vision" else jax.numpy.int32  # token ids
    inputs = jax.ShapeDtypeStruct(shape, dtype, sharding=parallel.sharded)
    labels = jax.ShapeDtypeStruct((batch,), jax.numpy.int32, sharding=parallel.sharded)
    config = TrainConfig(preset)
    return training_steps(model, config, (inputs, labels), parallel).compile_seconds


if __name__ == "__main__":
    main()
