"""A model's quantum-layer calls, batch by batch: recorded, journaled, replayed and compared.

:class:`LayerCallRecorder` is a backend that wraps another. Built into a model in its place
(``build_model(config, backend=recorder)``), it sees every call of every quantum layer as
``(layer, k)``: the layer's module path and its ``k``-th call in the batch. A layer's calls
within a batch depend on each other (the stages and blocks it is scanned over run in order),
so ``(layer, k)`` names the same call in every run of the same batch, whatever order XLA runs
independent layers in.

With a journal directory, each call's inputs and values are written as the call returns (with
its job ids, estimated cost and the usage the vendor billed for it), and a
later run of the same batch replays them instead of running the backend again: a device run
that stops mid-batch resumes without resubmitting a finished job. With an ``exact`` backend,
each call is also simulated exactly on the same inputs, which isolates the wrapped backend's
error layer by layer.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qrkt.backends.base import Backend
from qrkt.backends.hardware import CallRecord, Cost
from qrkt.circuits.ir import Circuit
from qrkt.training.files import write_arrays_atomically

logger = logging.getLogger(__name__)

REPLAY_TOLERANCE = 1e-5
"""How far a replayed call's inputs may differ from the journaled ones (float32 round-off)."""


@dataclass(frozen=True)
class LayerCall:
    """One call of a quantum layer.

    Attributes:
      layer: the layer's module path; index: its call number within the batch, from 0.
      circuit: the circuit; inputs ``(rows, n_inputs)``: its parameter sets (samples x
        tokens); weights: the layer's weights.
      outputs: the wrapped backend's values ``(rows, n_observables)``.
      exact: the exact backend's values for the same inputs, or ``None``.
      record: what the call ran: its estimated cost, the vendor's job ids and billed usage
        (as journaled, for a replayed call).
      replayed: read from the journal rather than run.
    """

    layer: str
    index: int
    circuit: Circuit
    inputs: np.ndarray
    weights: np.ndarray
    outputs: np.ndarray
    exact: np.ndarray | None
    record: CallRecord
    replayed: bool

    @property
    def rows(self) -> int:
        """Parameter sets in the call: samples x tokens."""
        return self.inputs.shape[0]


class LayerCallRecorder(Backend):
    """Runs calls on ``inner``; records, journals, replays and compares them (module docs).

    Args:
      inner: the backend that computes.
      exact: simulates every call on the same inputs, for comparison; ``None`` for none.
      journal: a directory for the calls' results; ``None`` keeps nothing on disk.
    """

    records_calls = True  # the inner backend's record, or the journal's for a replayed call

    def __init__(
        self, inner: Backend, *, exact: Backend | None = None, journal: Path | None = None
    ) -> None:
        super().__init__()
        self.inner = inner
        self.exact = exact
        self.journal = journal
        self.name = inner.name  # type: ignore[misc]  # the wrapped backend's, per instance
        self.capabilities = inner.capabilities
        self.calls: list[LayerCall] = []
        self.failure: BaseException | None = None
        self._batch = 0
        self._seen: Counter[str] = Counter()
        self._layer = ""
        self._lock = threading.RLock()  # XLA may run independent layers' callbacks at once

    @property
    def shots_per_circuit(self) -> int:
        return self.inner.shots_per_circuit

    def estimate(self, circuit: Circuit, rows: int) -> Cost:
        return self.inner.estimate(circuit, rows)

    def begin_batch(self, index: int) -> None:
        """Start batch ``index``: call numbers restart and ``calls`` empties."""
        self._batch = index
        self._seen.clear()
        self.calls = []
        self.failure = None

    def run_layer(
        self, layer: str | None, circuit: Circuit, inputs: object, weights: object
    ) -> np.ndarray:
        with self._lock:
            self._layer = layer or "unnamed"
            return self.run(circuit, inputs, weights)

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        layer = self._layer
        index = self._seen[layer]
        self._seen[layer] += 1
        path = self._path(layer, index)
        journaled = _read_call(path, inputs, weights) if path else None
        if journaled is not None:
            outputs, record = journaled
        else:
            try:
                outputs = self.inner.run(circuit, inputs, weights)
            except BaseException as error:  # kept: XLA re-raises it as a runtime error
                self.failure = error
                raise
            record = self.inner.counts.last
            if path:
                _write_call(path, inputs, weights, outputs, record)
        self.counts.last = record
        exact = None if self.exact is None else self.exact.run(circuit, inputs, weights)
        self.calls.append(
            LayerCall(
                layer,
                index,
                circuit,
                inputs,
                weights,
                outputs,
                exact,
                record,
                journaled is not None,
            )
        )
        return outputs

    def _path(self, layer: str, index: int) -> Path | None:
        if self.journal is None:
            return None
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", layer)
        return self.journal / f"{self._batch:05d}" / f"{slug}.{index:03d}.npz"

    def __repr__(self) -> str:
        return f"<recording {self.inner!r}>"


def _read_call(
    path: Path, inputs: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, CallRecord] | None:
    """A journaled call's values and record, if it was made with these inputs and weights."""
    if not path.exists():
        return None
    with np.load(path) as stored:
        same = stored["inputs"].shape == inputs.shape and all(
            np.allclose(stored[key], value, rtol=0, atol=REPLAY_TOLERANCE)
            for key, value in (("inputs", inputs), ("weights", weights))
        )
        if not same:
            logger.warning("journaled call %s had other inputs; running it again", path)
            return None
        cost = json.loads(str(stored["cost"]))
        usage = float(stored["usage_seconds"])
        record = CallRecord(
            Cost(**cost), tuple(stored["job_ids"].tolist()), None if np.isnan(usage) else usage
        )
        return stored["outputs"], record


def _write_call(
    path: Path, inputs: np.ndarray, weights: np.ndarray, outputs: np.ndarray, record: CallRecord
) -> None:
    write_arrays_atomically(
        path,
        inputs=inputs,
        weights=weights,
        outputs=outputs,
        job_ids=np.asarray(record.job_ids, dtype=str),
        cost=np.asarray(json.dumps(record.cost.to_dict())),
        usage_seconds=np.asarray(np.nan if record.usage_seconds is None else record.usage_seconds),
    )
