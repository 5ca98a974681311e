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
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import jax
import numpy as np

from qrkt.backends.base import Backend
from qrkt.backends.hardware import CircuitStatistics, Cost, Pricing
from qrkt.backends.registry import get_backend
from qrkt.circuits.ir import Circuit
from qrkt.errors import TrainingError, check_int
from qrkt.tables import format_table
from qrkt.training.files import write_arrays_atomically, write_json
from qrkt.training.layer_calls import LayerCall, LayerCallRecorder
from qrkt.training.metrics import classification_metrics
from qrkt.training.parallel import DataParallel
from qrkt.training.resume import setting_differences
from qrkt.training.shot_budget import ShotChoice, choose_shots
from qrkt.training.steps import eval_step
from qrkt.training.target import EvaluationTarget, ModelSource, load_target

EXACT_BACKEND = "reference"
"""The exact simulator that device results are compared with: NumPy, complex128. Not ``jax``:
it runs inside the model's host callbacks, which XLA may run at once on its own threads, and
JAX called from one while another waits can deadlock."""

Progress = Callable[[int, int], None]

DEVICE_BATCH = 1024
"""Samples per batch on a host backend unless given. Every layer call of a batch is one job and
one round trip, whatever its size, so the fewer batches the less the per-job overhead costs."""


@dataclass(frozen=True)
class CircuitUse:
    """One circuit of the model as the backend runs it.

    Attributes:
      qubits: its width; layers: the layers that call it; calls: its calls per batch.
      rows_per_sample: parameter sets per sample in each call (one per token).
      statistics: the circuit as the device runs it (depth, two-qubit gates, duration, packed
        regions); ``None`` where the backend runs it as it is (a simulator).
    """

    qubits: int
    layers: tuple[str, ...]
    calls: int
    rows_per_sample: int
    statistics: CircuitStatistics | None


@dataclass(frozen=True)
class LayerCost:
    """What one quantum layer's calls cost in a full batch."""

    layer: str
    qubits: int
    cost: Cost


@dataclass(frozen=True)
class EvaluationPlan:
    """What evaluating ``samples`` samples in batches costs on ``backend``, before running it.

    Attributes:
      backend: the backend as it describes itself.
      samples: samples to evaluate; batch_sizes: of each batch, in order.
      calls_per_batch: quantum-layer calls of one batch, in the order they ran.
      circuits: the distinct circuits and how they are used.
      layers: each layer's cost in a full batch.
      batch: the cost of a full batch; total: of the whole run.
      pricing: how the backend's vendor bills, ``None`` for a simulator.
      shots: how the shots were chosen (``shots="auto"``), else ``None``.
    """

    backend: str
    samples: int
    batch_sizes: tuple[int, ...]
    calls_per_batch: int
    circuits: tuple[CircuitUse, ...]
    layers: tuple[LayerCost, ...]
    batch: Cost
    total: Cost
    pricing: Pricing | None
    shots: ShotChoice | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def report(self) -> str:
        """The plan in a few lines, for a person deciding whether to run it."""
        lines = [
            f"backend     {self.backend}",
            f"samples     {self.samples} in {len(self.batch_sizes)} batch(es) of "
            f"{self.batch_sizes[0]}",
            *([f"shots       {self.shots.report()}"] if self.shots else []),
            f"per batch   {cost_line(self.batch)}",
            f"in all      {cost_line(self.total)}",
        ]
        if self.pricing is not None:
            lines.append(f"prices      {self.pricing.source}")
            if self.pricing.free_seconds and self.total.qpu_seconds is not None:
                share = self.total.qpu_seconds / self.pricing.free_seconds
                lines.append(
                    f"free plan   the run takes {share:.1%} of the {self.pricing.free_plan} "
                    f"({self.pricing.free_seconds:,.0f} s)"
                )
        lines.append("per layer, one full batch:")
        rows = [("layer", "qubits", "calls", "sets", "executions", "shots", "QPU s", "USD")]
        for layer in self.layers:
            cost = layer.cost
            rows.append(
                (
                    layer.layer,
                    str(layer.qubits),
                    str(cost.calls),
                    f"{cost.parameter_sets:,}",
                    f"{cost.executions:,}",
                    f"{cost.shots:,}",
                    _number(cost.qpu_seconds, ".1f"),
                    _number(cost.price, ",.2f"),
                )
            )
        lines += ["  " + line for line in format_table(rows).splitlines()]
        lines.append("circuits:")
        for use in self.circuits:
            lines.append(
                f"  {use.qubits} qubits: {use.calls} call(s) per batch from {len(use.layers)} "
                f"layer(s), {use.rows_per_sample} parameter set(s) per sample"
                f"{_statistics_line(use.statistics)}"
            )
            for index, region in enumerate(use.statistics.regions if use.statistics else ()):
                lines.append(f"    region {index}: {_region_line(region)}")
        return "\n".join(lines)


def cost_line(cost: Cost) -> str:
    """A cost in one line of text."""
    packed = f" in {cost.executions:,} executions" if cost.executions != cost.parameter_sets else ""
    qpu = "" if cost.qpu_seconds is None else f", estimated QPU time {cost.qpu_seconds:,.0f} s"
    price = "" if cost.price is None else f", USD {cost.price:,.2f}"
    return (
        f"{cost.jobs:,} job(s) in {cost.round_trips:,} sequential round trip(s), "
        f"{cost.parameter_sets:,} circuits{packed}, {cost.shots:,} shots{qpu}{price}"
    )


def _statistics_line(statistics: CircuitStatistics | None) -> str:
    if statistics is None:
        return ""
    duration = (
        ""
        if statistics.duration_seconds is None
        else f", {statistics.duration_seconds * 1e6:,.1f} us an execution"
    )
    return (
        f"; transpiled depth {statistics.depth}, {statistics.two_qubit_gates} two-qubit gates"
        f"{duration}"
        + (f"; {len(statistics.regions)} region(s) side by side" if statistics.regions else "")
    )


def _region_line(region: dict[str, Any]) -> str:
    return ", ".join(
        f"{key.replace('_', ' ')} {_number(value, '.4f') if isinstance(value, float) else value}"
        for key, value in region.items()
    )


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def dry_run(
    source: ModelSource,
    *,
    backend: str,
    backend_options: tuple[tuple[str, object], ...] = (),
    split: str = "validation",
    data_dir: str | Path | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
    shot_agreement: float = 0.99,
) -> EvaluationPlan:
    """The plan of ``evaluate(source, ...)`` with these arguments; nothing is submitted."""
    target = load_target(source, split=split, data_dir=data_dir, limit=limit)
    if target.trained.model.circuit is None:
        raise TrainingError(
            f"preset {target.trained.config.preset!r} is classical: it runs no circuits, so "
            "there is nothing to plan; evaluate it directly"
        )
    target = device_batches(target, batch_size)
    instance, shots = device_backend(target, backend, backend_options, shot_agreement)
    return plan_evaluation(target, instance, shots)


def device_batches(target: EvaluationTarget, batch_size: int | None) -> EvaluationTarget:
    """``target`` in batches of ``batch_size`` samples, by default :data:`DEVICE_BATCH`."""
    if batch_size is not None:
        check_int("batch_size", batch_size, minimum=1, error=TrainingError)
    return replace(target, batch_size=batch_size or min(len(target.data), DEVICE_BATCH))


def device_backend(
    target: EvaluationTarget,
    backend: str,
    backend_options: tuple[tuple[str, object], ...],
    shot_agreement: float,
) -> tuple[Backend, ShotChoice | None]:
    """The backend, with its shots chosen by :func:`~qrkt.training.shot_budget.choose_shots`
    on the first batch's samples where ``shots`` is ``"auto"``."""
    options = dict(backend_options)
    choice = None
    if options.get("shots") == "auto":
        rows = next(_batches(len(target.data), target.batch_size))
        choice = choose_shots(
            target.trained.model,
            target.trained.params,
            target.data.inputs[rows],
            target.data.labels[rows],
            agreement=shot_agreement,
        )
        options["shots"] = choice.shots
    return get_backend(backend, **options), choice


def plan_evaluation(
    target: EvaluationTarget, backend: Backend, shots: ShotChoice | None = None
) -> EvaluationPlan:
    """Find a batch's layer calls on the exact simulator, check that the backend can run every
    circuit, and price the run; nothing is submitted. ``shots`` is how the backend's shots were
    chosen, if they were."""
    rows = next(_batches(len(target.data), target.batch_size))
    return _plan(target, backend, _exact_run(target).run_batch(0, rows)[2], len(rows), shots)


def _plan(
    target: EvaluationTarget,
    backend: Backend,
    calls: list[LayerCall],
    samples: int,
    shots: ShotChoice | None,
) -> EvaluationPlan:
    """The plan from the layer calls of a batch of ``samples`` samples."""
    sizes = tuple(len(rows) for rows in _batches(len(target.data), target.batch_size))
    for circuit in {call.circuit for call in calls}:
        backend.check_circuit(circuit)

    def call_costs(size: int) -> list[Cost]:
        return [backend.estimate(call.circuit, call.rows // samples * size) for call in calls]

    full = call_costs(sizes[0])
    layers: dict[str, LayerCost] = {}
    for call, cost in zip(calls, full, strict=True):
        known = layers.get(call.layer)
        layers[call.layer] = LayerCost(
            call.layer, call.circuit.n_qubits, cost if known is None else known.cost + cost
        )
    uses: dict[Circuit, list[LayerCall]] = defaultdict(list)
    for call in calls:
        uses[call.circuit].append(call)
    circuits = tuple(
        CircuitUse(
            qubits=circuit.n_qubits,
            layers=tuple(sorted({call.layer for call in its_calls})),
            calls=len(its_calls),
            rows_per_sample=its_calls[0].rows // samples,
            statistics=backend.circuit_statistics(circuit),
        )
        for circuit, its_calls in uses.items()
    )
    batch_costs = {size: sum(call_costs(size), Cost()) for size in set(sizes[1:])}
    batch_costs[sizes[0]] = sum(full, Cost())
    return EvaluationPlan(
        backend=repr(backend),
        samples=len(target.data),
        batch_sizes=sizes,
        calls_per_batch=len(calls),
        circuits=circuits,
        layers=tuple(layers.values()),
        batch=batch_costs[sizes[0]],
        total=sum((batch_costs[size] for size in sizes), Cost()),
        pricing=backend.pricing,
        shots=shots,
    )


def evaluate_journaled(
    target: EvaluationTarget,
    backend_name: str,
    backend_options: tuple[tuple[str, object], ...],
    name: str,
    *,
    batch_size: int | None = None,
    shot_agreement: float = 0.99,
    resume: bool = False,
    progress: Progress | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Evaluate ``target`` on the host backend ``backend_name`` as the module describes (the
    arguments are :func:`~qrkt.training.evaluation.evaluate`'s); write and return the metrics,
    with what the run spent and its parity with the exact simulator."""
    target = device_batches(target, batch_size)
    backend, shots = device_backend(target, backend_name, backend_options, shot_agreement)
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
                plan = _plan(target, backend, exact_calls, len(rows), shots)
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
        backend.close()  # an IBM Quantum session, say
    result = _report(target, backend, name, run, batches, command)
    result["shot_choice"] = None if shots is None else shots.to_dict()
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
            differences = setting_differences(stored, settings)
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
            jobs=np.asarray([len(call.record.job_ids) for call in calls]),
            estimated_qpu_seconds=np.asarray(
                [
                    np.nan if call.record.cost.qpu_seconds is None else call.record.cost.qpu_seconds
                    for call in calls
                ]
            ),
            usage_seconds=np.asarray(
                [
                    np.nan if call.record.usage_seconds is None else call.record.usage_seconds
                    for call in calls
                ]
            ),
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
        "estimated_qpu_seconds": _known_sum(joined["estimated_qpu_seconds"]),
        "billed_qpu_seconds": _known_sum(joined["usage_seconds"]),
        "parity": {key: parity[key] for key in parity if key != "layers"},
        "run_directory": str(run.path),
        "command": command,
        "path": str(target.trained.files.evaluation(target.split, name)),
    }


def _known_sum(seconds: np.ndarray) -> float | None:
    """The sum of the calls' QPU seconds where known (NaN: no device clock, or no usage
    billed); ``None`` if none is known (simulators, local testing modes)."""
    known = seconds[~np.isnan(seconds)]
    return float(known.sum()) if known.size else None


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
