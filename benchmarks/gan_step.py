"""What one generator step of ``qrkt train-gan`` costs: the GAN presets' compiled training
step, with malloc's thresholds as qrkt's training loop sets them and as glibc leaves them.

Run from the repository root::

    python -m benchmarks.gan_step            # digits-qgan and digits-transgan
    python -m benchmarks.gan_step --quick    # digits-transgan at batch 4, briefly: for CI

Each preset runs in two fresh processes, one per malloc setting (``qrkt.host_memory`` changes
the process for good), with ``train-gan``'s default recipe: the step is compiled, run
for one round of ``--steps`` steps to warm up, then timed in ``--repeats`` rounds on random
images (the median round, per step). The table gives the step's temporaries (XLA's memory
analysis): glibc maps a fresh block for those over its mmap threshold (at most 32 MiB) at every
call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recording import name_list, run_child, run_record, write_report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gan_step.json"
PRESETS = ("digits-qgan", "digits-transgan")
SETTINGS = {"kept": True, "glibc": False}  # label: whether keep_step_memory runs


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    if args.child:
        print(json.dumps(_time_step(args.child, args.batch, args.steps, args.repeats, args.kept)))
        return
    started, clock = datetime.now(UTC), time.perf_counter()
    rows = []
    settings = {"kept": True} if args.quick else SETTINGS
    print(f"{'preset':<16} {'malloc':<6} {'compile s':>9} {'temp MiB':>9} {'step ms':>8}")
    for preset in args.presets:
        for label, kept in settings.items():
            row = {"preset": preset, "malloc": label, **_child(preset, args, kept)}
            rows.append(row)
            print(
                f"{preset:<16} {label:<6} {row['compile_s']:>9.1f} {row['temp_mib']:>9.1f} "
                f"{row['step_ms']:>8.1f}",
                flush=True,
            )
    write_report(
        args.out,
        {
            **run_record(started, clock),
            "settings": {"batch": args.batch, "steps": args.steps, "repeats": args.repeats},
            "results": rows,
        },
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", type=name_list, help=f"default: {','.join(PRESETS)}")
    parser.add_argument("--batch", type=int, default=32, help="train-gan's batch (32)")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed round (20)")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (7)")
    parser.add_argument("--quick", action="store_true", help="digits-transgan, briefly: for CI")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    parser.add_argument("--child", metavar="PRESET", help=argparse.SUPPRESS)
    parser.add_argument("--kept", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.batch, args.steps, args.repeats = 4, 2, 2
    args.presets = args.presets or (["digits-transgan"] if args.quick else list(PRESETS))
    return args


def _child(preset: str, args: argparse.Namespace, kept: bool) -> dict[str, float]:
    """Time ``preset``'s step in a new process, with or without :mod:`qrkt.host_memory`."""
    arguments = ["--child", preset, "--batch", str(args.batch), "--steps", str(args.steps)]
    arguments += ["--repeats", str(args.repeats)] + (["--kept"] if kept else [])
    return run_child("gan_step", arguments)


def _time_step(preset: str, batch: int, steps: int, repeats: int, kept: bool) -> dict:
    """Compile and time ``preset``'s training step here."""
    import jax
    import numpy as np

    from qrkt.gan import GAN_PRESETS, GanTrainConfig
    from qrkt.gan.training import gan_steps
    from qrkt.host_memory import keep_step_memory

    if kept:
        keep_step_memory()
    config = GanTrainConfig(preset, batch_size=batch)
    model = GAN_PRESETS[preset].model
    compiled = gan_steps(model, config, 1_000)
    state = compiled.init()
    shape = (config.critic_steps, batch, *model.image_shape)
    real = jax.numpy.asarray(np.random.default_rng(0).uniform(-1, 1, shape), jax.numpy.float32)
    rounds = []
    for timed in [False] + [True] * repeats:  # a first round warms up
        start = time.perf_counter()
        for _ in range(steps):
            state, _ = compiled.train(state, real)
        jax.block_until_ready(state)
        if timed:
            rounds.append((time.perf_counter() - start) / steps)
    memory = compiled.train.memory_analysis()
    return {
        "compile_s": round(compiled.compile_seconds, 2),
        "temp_mib": round(memory.temp_size_in_bytes / 2**20, 2),
        "step_ms": round(statistics.median(rounds) * 1e3, 3),
    }


if __name__ == "__main__":
    main()
