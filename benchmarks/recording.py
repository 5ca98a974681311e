"""What every benchmark records with its numbers: the exact command, the machine, its load
and the package versions; and how it writes them (JSON, PNG beside), reads its arguments and
runs a part in a fresh process."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import jax

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PACKAGES = (
    "jax",
    "jaxlib",
    "numpy",
    "tensorcircuit-ng",
    "pennylane",
    "flax",
    "qiskit",
    "qiskit-aer",
    "cirq-core",
    "tensorflow",
    "tensorflow-quantum",
    "qrkt",
)


def int_list(text: str) -> list[int]:
    """``"2,4,6"`` as ``[2, 4, 6]`` (an argparse type)."""
    return [int(part) for part in text.split(",")]


def name_list(text: str) -> list[str]:
    """``"jax, cirq"`` as ``["jax", "cirq"]`` (an argparse type)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def run_record(started: datetime, clock: float) -> dict[str, object]:
    """What every benchmark's results file starts with: the exact command, when it started,
    how long it took (from ``clock``, a ``time.perf_counter()``), the machine, and its load
    average (1, 5 and 15 minutes) at the end: how much else ran meanwhile."""
    return {
        "command": shlex.join(sys.orig_argv),
        "started": started.isoformat(timespec="seconds"),
        "elapsed_s": round(time.perf_counter() - clock, 1),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "machine": machine(),
    }


def run_child(module: str, arguments: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``python -m benchmarks.<module> *arguments`` in a fresh process from the repository
    root, with ``env`` added to this process's environment, and return the JSON object that
    its output's last line holds: for what must not share a process (a cache, malloc's
    settings)."""
    run = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *arguments],
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.splitlines()[-1])


def write_report(path: Path, report: dict[str, object], *, quiet: bool = False) -> None:
    """Write a benchmark's results as JSON (its folder made if needed) and, unless ``quiet``,
    say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    if not quiet:
        print(f"wrote {path} ({report['elapsed_s']} s)")


def save_figure(figure: Figure, out: Path, suffix: str) -> None:
    """Save a plot of the results file ``out`` beside it, as ``<stem>-<suffix>.png``."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out.with_name(f"{out.stem}-{suffix}.png"), dpi=110)
    plt.close(figure)


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "jax_devices": [str(d) for d in jax.devices()],
        "versions": {p: _version(p) for p in PACKAGES},
        "env": {k: v for k, v in os.environ.items() if k.startswith(("XLA_", "JAX_", "MALLOC_"))},
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None
