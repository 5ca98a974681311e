"""``qrkt.backends.trig.sincos`` against XLA's ``jnp.sin`` and ``jnp.cos``: time and error.

Run from the repository root::

    python -m benchmarks.trig            # 1,024, 16,384 and 1,048,576 float32 angles
    python -m benchmarks.trig --quick    # 16,384 angles, briefly: for CI

For each size, both functions' sine and cosine of the same angles (uniform in [-8, 8]), forward
and the gradient of their sum, timed interleaved in one process (medians); then both functions'
largest error against float64 on 10^6 angles uniform in [-8192, 8192] (the reduction's limit).
16,384 angles are one GAN layer's: 2,048 tokens of 8 qubits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.recording import int_list, run_record, write_report
from benchmarks.timing import Settings, time_calls
from qrkt.backends.trig import REDUCTION_LIMIT, sincos

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "trig.json"
SIZES = (1_024, 16_384, 1_048_576)
FULL = Settings(budget_s=1.0, min_repeats=20, max_repeats=5_000)
QUICK = Settings(budget_s=0.05, min_repeats=3, max_repeats=50)
ERROR_ANGLES = 1_000_000

Pair = Callable[[jax.Array], tuple[jax.Array, jax.Array]]
FUNCTIONS: dict[str, Pair] = {"xla": lambda a: (jnp.sin(a), jnp.cos(a)), "sincos": sincos}


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    started, clock = datetime.now(UTC), time.perf_counter()
    settings = QUICK if args.quick else FULL
    rows = []
    print(f"{'angles':>10} {'kind':>8} {'xla ms':>9} {'sincos ms':>10} {'xla/sincos':>11}")
    for size in args.sizes:
        angles = jax.random.uniform(jax.random.PRNGKey(size), (size,), jnp.float32, -8, 8)
        for kind in ("forward", "gradient"):
            medians = {
                name: _median_ms(_timed(function, kind), angles, settings)
                for name, function in FUNCTIONS.items()
            }
            rows.append(
                {"angles": size, "kind": kind, **{f"{k}_ms": v for k, v in medians.items()}}
            )
            ratio = medians["xla"] / medians["sincos"]
            print(
                f"{size:>10,} {kind:>8} {medians['xla']:>9.4f} {medians['sincos']:>10.4f} "
                f"{ratio:>11.2f}",
                flush=True,
            )
    errors = _errors()
    for name, error in errors.items():
        print(f"{name}: largest error against float64, |angle| <= {REDUCTION_LIMIT:g}: {error:.2e}")
    write_report(
        args.out,
        {
            **run_record(started, clock),
            "settings": {"sizes": args.sizes, "budget_s": settings.budget_s},
            "results": rows,
            "max_error": errors,
        },
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int_list, help="angles per call (default: 1024,16384,1048576)"
    )
    parser.add_argument("--quick", action="store_true", help="16,384 angles, briefly: for CI")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or ([16_384] if args.quick else list(SIZES))
    return args


def _timed(function: Pair, kind: str) -> Callable[[jax.Array], object]:
    def total(angles: jax.Array) -> jax.Array:
        sin, cos = function(angles)
        return sin.sum() + cos.sum()

    return jax.jit(jax.grad(total) if kind == "gradient" else function)


def _median_ms(function: Callable[[jax.Array], object], angles: jax.Array, s: Settings) -> float:
    _, times = time_calls(lambda x, _: function(x), angles, angles, s)
    return round(statistics.median(times) * 1e3, 5)


def _errors() -> dict[str, float]:
    angles = np.random.default_rng(0).uniform(-REDUCTION_LIMIT, REDUCTION_LIMIT, ERROR_ANGLES)
    angles = angles.astype(np.float32)
    exact = angles.astype(np.float64)
    errors = {}
    for name, function in FUNCTIONS.items():
        sin, cos = jax.jit(function)(angles)
        errors[name] = float(
            max(
                np.abs(np.asarray(sin, np.float64) - np.sin(exact)).max(),
                np.abs(np.asarray(cos, np.float64) - np.cos(exact)).max(),
            )
        )
    return errors


if __name__ == "__main__":
    main()
