"""Evaluating on a host backend, a quantum device above all: planned, journaled, resumable, and
compared with the exact simulator.

Every quantum-layer call of a batch is one :meth:`~qrkt.backends.base.Backend.run` (on IBM
Quantum, one job, or several submitted together where one would pass IBM's per-job limit), and
a layer waits for the layers before it: a batch costs as many sequential round trips as it has
layer calls.

:func:`plan_evaluation` (``qrkt evaluate --dry-run``) finds those calls by running the first
batch on the exact simulator, checks that every circuit fits the backend (on IBM Quantum:
qubits, the device's ISA after transpiling, shots and job limits), and prices the run; nothing
is submitted. :func:`evaluate_journaled` plans, then runs batch after batch in
``workdir/evaluations/<split>-<name>/``:

- ``settings.json``: what is evaluated; a resumed run must match it;
- ``plan.json``: the plan;
- ``calls/<batch>/<layer>.<k>.npz``: each layer call's inputs, weights, values and job ids,
  written as the call returns: a resumed run replays them instead of resubmitting;
- ``batches/<batch>.npz``: a finished batch's losses and probabilities, the exact simulator's
  probabilities for the same samples, and each layer's error against the exact simulator on the
  same inputs.

At the end it writes ``evaluation-<split>-<name>.json`` (a simulator evaluation's metrics and
what the run spent) and ``parity-<split>-<name>.json`` (device against exact simulator: error
per layer, prediction agreement, accuracy delta).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from qrkt.backends.base import Backend
from qrkt.backends.registry import get_backend
from qrkt.circuits.ir import Circuit
from qrkt.errors import TrainingError
from qrkt.training.evaluation import EvaluationTarget, load_target, write_json
from qrkt.training.files import write_arrays_atomically
from qrkt.training.layer_calls import LayerCall, LayerCallRecorder
from qrkt.training.metrics import classification_metrics
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import eval_step

EXACT_BACKEND = "reference"
"""The exact simulator that device results are compared with: NumPy, complex128. Not ``jax``:
it runs inside the model's host callbacks, which XLA may run at once on its own threads, and
JAX called from one while another waits can deadlock."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Cost:
    """What some layer calls cost. ``qpu_seconds`` is an estimate, ``None`` where the backend
    cannot price its calls (only IBM Quantum can)."""

    calls: int
    jobs: int
    circuits: int
    shots: int
    round_trips: int
    qpu_seconds: float | None

    def __add__(self, other: Cost) -> Cost:
        qpu = (
            None
            if self.qpu_seconds is None or other.qpu_seconds is None
            else self.qpu_seconds + other.qpu_seconds
        )
        return Cost(
            self.calls + other.calls,
            self.jobs + other.jobs,
            self.circuits + other.circuits,
            self.shots + other.shots,
            self.round_trips + other.round_trips,
            qpu,
        )


@dataclass(frozen=True)
class CircuitUse:
    """One circuit of the model as the backend runs it.

    Attributes:
      qubits: its width; layers: the layers that call it; calls: its calls per batch.
      rows_per_sample: parameter sets per sample in each call (one per token).
      depth, two_qubit_gates: of the circuit transpiled for the device; ``None`` where the
        backend does not transpile.
    """

    qubits: int
    layers: tuple[str, ...]
    calls: int
    rows_per_sample: int
    depth: int | None
    two_qubit_gates: int | None


@dataclass(frozen=True)
class EvaluationPlan:
    """What evaluating ``samples`` samples in batches costs on ``backend``, before running it.

    Attributes:
      backend: the backend as it describes itself.
      samples: samples to evaluate; batch_sizes: of each batch, in order.
      calls_per_batch: quantum-layer calls of one batch, in the order they ran.
      circuits: the distinct circuits and how they are used.
      batch: the cost of a full batch; total: of the whole run.
    """

    backend: str
    samples: int
    batch_sizes: tuple[int, ...]
    calls_per_batch: int
    circuits: tuple[CircuitUse, ...]
    batch: Cost
    total: Cost

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def report(self) -> str:
        """The plan in a few lines, for a person deciding whether to run it."""
        lines = [
            f"backend     {self.backend}",
            f"samples     {self.samples} in {len(self.batch_sizes)} batch(es) of "
            f"{self.batch_sizes[0]}",
            f"per batch   {_cost_line(self.batch)}",
            f"in all      {_cost_line(self.total)}",
            "circuits:",
        ]
        for use in self.circuits:
            transpiled = (
                f", transpiled depth {use.depth}, {use.two_qubit_gates} two-qubit gates"
                if use.depth is not None
                else ""
            )
            lines.append(
                f"  {use.qubits} qubits: {use.calls} call(s) per batch from {len(use.layers)} "
                f"layer(s), {use.rows_per_sample} parameter set(s) per sample{transpiled}"
            )
        return "\n".join(lines)


def _cost_line(cost: Cost) -> str:
    qpu = "" if cost.qpu_seconds is None else f", estimated QPU time {cost.qpu_seconds:,.0f} s"
    return (
        f"{cost.jobs:,} job(s) in {cost.round_trips:,} sequential round trip(s), "
        f"{cost.circuits:,} circuits, {cost.shots:,} shots{qpu}"
    )


def dry_run(
    workdir: str | Path,
    *,
    backend: str,
    backend_options: tuple[tuple[str, object], ...] = (),
    split: str = "validation",
    data_dir: str | Path | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
) -> EvaluationPlan:
    """The plan of ``evaluate(workdir, ...)`` with these arguments; nothing is submitted."""
    target = load_target(
        workdir, split=split, data_dir=data_dir, limit=limit, batch_size=batch_size
    )
    if target.trained.model.circuit is None:
        raise TrainingError(
            f"preset {target.trained.config.preset!r} is classical: it runs no circuits, so "
            "there is nothing to plan; evaluate it directly"
        )
    return plan_evaluation(target, get_backend(backend, **dict(backend_options)))


def plan_evaluation(target: EvaluationTarget, backend: Backend) -> EvaluationPlan:
    """Find a batch's layer calls on the exact simulator, check that the backend can run every
    circuit, and price the run; nothing is submitted."""
    rows = next(_batches(len(target.data), target.batch_size))
    return _plan(target, backend, _exact_run(target).run_batch(0, rows)[2], len(rows))


def _plan(
    target: EvaluationTarget, backend: Backend, calls: list[LayerCall], samples: int
) -> EvaluationPlan:
    """The plan from the layer calls of a batch of ``samples`` samples."""
    sizes = tuple(len(rows) for rows in _batches(len(target.data), target.batch_size))
    for circuit in {call.circuit for call in calls}:
        backend.check_circuit(circuit)

    def batch_cost(size: int) -> Cost:
        return sum(
            (_call_cost(backend, call.circuit, call.rows // samples * size) for call in calls),
            Cost(0, 0, 0, 0, 0, 0.0),
        )

    costs = {size: batch_cost(size) for size in set(sizes)}
    uses: dict[Circuit, list[LayerCall]] = defaultdict(list)
    for call in calls:
        uses[call.circuit].append(call)
    transpiled = getattr(backend, "transpiled", None)
    circuits = []
    for circuit, its_calls in uses.items():
        isa = transpiled(circuit) if transpiled else None
        circuits.append(
            CircuitUse(
                qubits=circuit.n_qubits,
                layers=tuple(sorted({call.layer for call in its_calls})),
                calls=len(its_calls),
                rows_per_sample=its_calls[0].rows // samples,
                depth=None if isa is None else isa.depth(),
                two_qubit_gates=None
                if isa is None
                else sum(1 for op in isa.data if len(op.qubits) == 2),
            )
        )
    return EvaluationPlan(
        backend=repr(backend),
        samples=len(target.data),
        batch_sizes=sizes,
        calls_per_batch=len(calls),
        circuits=tuple(circuits),
        batch=costs[sizes[0]],
        total=sum((costs[size] for size in sizes), Cost(0, 0, 0, 0, 0, 0.0)),
    )


def _call_cost(backend: Backend, circuit: Circuit, rows: int) -> Cost:
    """One call's cost: the backend's own estimate (IBM Quantum's ``dry_run``), else one run."""
    dry_run = getattr(backend, "dry_run", None)
    if dry_run is None:
        return Cost(1, 1, rows, rows * backend.shots_per_circuit, 1, None)
    estimate = dry_run(circuit, rows)
    return Cost(
        1,
        estimate.jobs,
        estimate.circuits,
        estimate.shots,
        estimate.round_trips,
        estimate.qpu_seconds,
    )


def evaluate_journaled(
    target: EvaluationTarget,
    backend: Backend,
    name: str,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Evaluate ``target`` on a host ``backend`` as the module describes; write and return the
    metrics, with what the run spent and its parity with the exact simulator."""
    run = _RunDirectory(target.trained.files.path / "evaluations" / f"{target.split}-{name}")
    run.claim(_settings(target, backend), resume)
    exact = _exact_run(target)
    device = _ModelRun(
        target,
        LayerCallRecorder(backend, exact=get_backend(EXACT_BACKEND), journal=run.calls),
    )
    batches = list(_batches(len(target.data), target.batch_size))
    started = time.perf_counter()
    plan: EvaluationPlan | None = None
    if progress:
        progress(sum(run.batch(i).exists() for i in range(len(batches))), len(batches))
    try:
        for index, rows in enumerate(batches):
            if run.batch(index).exists():
                continue
            exact_losses, exact_probabilities, exact_calls = exact.run_batch(index, rows)
            if plan is None:
                # Checks every circuit before the first submission.
                plan = _plan(target, backend, exact_calls, len(rows))
                write_json(run.plan, plan.to_dict())
            losses, probabilities, calls = device.run_batch(index, rows)
            run.save_batch(
                index,
                rows=rows,
                losses=losses,
                probabilities=probabilities,
                exact_probabilities=exact_probabilities,
                exact_losses=exact_losses,
                calls=calls,
            )
            if progress:
                progress(index + 1, len(batches))
    finally:
        close = getattr(backend, "close", None)
        if close:
            close()  # an IBM Quantum session, say
    result = _report(target, backend, name, run, batches, command)
    result["seconds_this_run"] = time.perf_counter() - started
    write_json(result["path"], result)
    return result


class _ModelRun:
    """The model with its layer calls going through ``recorder``, one batch at a time."""

    def __init__(self, target: EvaluationTarget, recorder: LayerCallRecorder) -> None:
        self.target = target
        self.recorder = recorder
        # One device: host backends run calls one at a time, and their order stays simple.
        self.step = eval_step(
            target.trained.model, DataParallel.over(jax.devices()[:1]), recorder, ()
        )

    def run_batch(
        self, index: int, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[LayerCall]]:
        """Losses, probabilities and layer calls of the samples ``rows``, as batch ``index``."""
        self.recorder.begin_batch(index)
        data = self.target.data
        try:
            losses, probabilities = self.step(
                self.target.trained.params, data.inputs[rows], data.labels[rows]
            )
        except Exception:
            if self.recorder.failure is not None:  # the backend's own error, not XLA's wrapper
                raise self.recorder.failure from None
            raise
        return np.asarray(losses), np.asarray(probabilities), list(self.recorder.calls)


def _exact_run(target: EvaluationTarget) -> _ModelRun:
    return _ModelRun(target, LayerCallRecorder(get_backend(EXACT_BACKEND)))


def _batches(count: int, batch_size: int) -> Iterator[np.ndarray]:
    """Row indices in order, the last batch short rather than padded: padding would be run on
    the device and paid for."""
    for start in range(0, count, batch_size):
        yield np.arange(start, min(start + batch_size, count))


class _RunDirectory:
    """The files of one journaled evaluation (see the module's documentation)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.settings = path / "settings.json"
        self.plan = path / "plan.json"
        self.calls = path / "calls"

    def batch(self, index: int) -> Path:
        return self.path / "batches" / f"{index:05d}.npz"

    def finished_batches(self) -> list[Path]:
        return sorted((self.path / "batches").glob("*.npz"))

    def claim(self, settings: dict[str, Any], resume: bool) -> None:
        """Start the run, or continue it with ``resume``; never overwrite another's progress."""
        if self.settings.exists():
            stored = json.loads(self.settings.read_text())
            if not resume:
                raise TrainingError(
                    f"{self.path} already holds an evaluation ({len(self.finished_batches())} "
                    "batch(es) finished); continue it with --resume, give this one another "
                    "--name, or remove that directory to start over"
                )
            differences = [
                f"{key}: {stored.get(key)!r} vs {settings.get(key)!r}"
                for key in sorted(set(stored) | set(settings))
                if stored.get(key) != settings.get(key)
            ]
            if differences:
                raise TrainingError(
                    f"cannot resume the evaluation in {self.path}: it was started with other "
                    f"settings ({'; '.join(differences)}: stored vs now); resume with the same "
                    "settings, or give this evaluation another --name"
                )
            return
        write_json(self.settings, settings)

    def save_batch(
        self,
        index: int,
        *,
        rows: np.ndarray,
        losses: np.ndarray,
        probabilities: np.ndarray,
        exact_losses: np.ndarray,
        exact_probabilities: np.ndarray,
        calls: list[LayerCall],
    ) -> None:
        errors = [np.abs(call.outputs - call.exact) for call in calls]  # type: ignore[operator]
        write_arrays_atomically(
            self.batch(index),
            rows=rows,
            losses=losses,
            probabilities=probabilities,
            exact_losses=exact_losses,
            exact_probabilities=exact_probabilities,
            layers=np.asarray([call.layer for call in calls], dtype=str),
            indices=np.asarray([call.index for call in calls]),
            qubits=np.asarray([call.circuit.n_qubits for call in calls]),
            error_sums=np.asarray([e.sum() for e in errors]),
            error_counts=np.asarray([e.size for e in errors]),
            error_max=np.asarray([e.max() for e in errors]),
            replayed=np.asarray([call.replayed for call in calls]),
            jobs=np.asarray([len(call.job_ids) for call in calls]),
        )


def _settings(target: EvaluationTarget, backend: Backend) -> dict[str, Any]:
    """What makes two evaluations the same one: the parameters, the samples and the backend as
    it describes itself (device, primitive, shots, resilience; never a credential)."""
    return {
        "checkpoint_sha256": target.trained.digest,
        "split": target.split,
        "samples": len(target.data),
        "batch_size": target.batch_size,
        "backend": repr(backend),
    }


def _report(
    target: EvaluationTarget,
    backend: Backend,
    name: str,
    run: _RunDirectory,
    batches: list[np.ndarray],
    command: str | None,
) -> dict[str, Any]:
    """Metrics, spending and parity from the batch files, resumed runs' batches included."""
    stored = [dict(np.load(path)) for path in run.finished_batches()]
    if len(stored) != len(batches):
        raise TrainingError(
            f"{run.path} holds {len(stored)} finished batch(es) of {len(batches)}; resume it"
        )
    joined = {key: np.concatenate([b[key] for b in stored]) for key in stored[0]}
    metrics = target.metrics(joined["losses"], joined["probabilities"])
    exact = classification_metrics(target.data.labels, joined["exact_probabilities"])
    parity = {
        "exact_backend": EXACT_BACKEND,
        "samples": metrics["samples"],
        "accuracy": metrics["accuracy"],
        "exact_accuracy": exact["accuracy"],
        "accuracy_delta": metrics["accuracy"] - exact["accuracy"],
        "prediction_agreement": float(
            np.mean(joined["probabilities"].argmax(1) == joined["exact_probabilities"].argmax(1))
        ),
        "probability_mae": float(
            np.mean(np.abs(joined["probabilities"] - joined["exact_probabilities"]))
        ),
        "exact_loss": float(np.mean(joined["exact_losses"])),
        "layers": _layer_errors(joined),
        "path": str(target.trained.files.path / f"parity-{target.split}-{name}.json"),
    }
    write_json(parity["path"], parity)
    calls = len(joined["layers"])
    replayed = int(joined["replayed"].sum())
    return {
        **metrics,
        "backend": repr(backend),
        "calls_per_batch": calls // len(batches),
        "calls_run": calls - replayed,
        "calls_replayed": replayed,
        "jobs": int(joined["jobs"][~joined["replayed"]].sum()),
        "parity": {key: parity[key] for key in parity if key != "layers"},
        "run_directory": str(run.path),
        "command": command,
        "path": str(target.trained.files.evaluation(target.split, name)),
    }


def _layer_errors(joined: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Each layer's mean and largest absolute error against the exact simulator on the same
    inputs: over all its calls, and by its call number in a batch (its stage or block)."""

    def mae(rows: np.ndarray) -> float:
        return float(joined["error_sums"][rows].sum() / joined["error_counts"][rows].sum())

    layers = []
    for layer in dict.fromkeys(joined["layers"].tolist()):  # in call order
        mine = joined["layers"] == layer
        layers.append(
            {
                "layer": layer,
                "qubits": int(joined["qubits"][mine][0]),
                "calls": int(mine.sum()),
                "mae": mae(mine),
                "max_error": float(joined["error_max"][mine].max()),
                "mae_by_call": [
                    mae(mine & (joined["indices"] == k))
                    for k in range(int(joined["indices"][mine].max()) + 1)
                ],
            }
        )
    return layers
