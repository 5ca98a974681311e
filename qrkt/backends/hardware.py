"""The hardware part of the backend contract, in vendor-neutral values.

Every backend prices a call with :meth:`~qrkt.backends.base.Backend.estimate` (a :class:`Cost`)
before running it, describes a circuit as the device runs it with
:meth:`~qrkt.backends.base.Backend.circuit_statistics` (:class:`CircuitStatistics`), and
records what each call really ran in ``backend.counts.last`` (a :class:`CallRecord`: job ids,
the vendor's billed usage where it reports one). Simulators cost one local call and nothing in
money; a device backend adds jobs, round trips, executions, estimated QPU seconds and a price
from its :class:`Pricing`. Evaluation and training code use only these, never a vendor's
objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from qrkt.errors import BackendInputError, check_finite


@dataclass(frozen=True)
class Cost:
    """What some backend calls cost, or would cost.

    Attributes:
      calls: backend calls (quantum-layer calls).
      jobs: jobs (or tasks) submitted; round_trips: sequential waits on the service.
      parameter_sets: circuits evaluated, one per parameter set (samples x tokens).
      executions: circuits executed on the device; fewer than ``parameter_sets`` where
        several parameter sets are packed side by side into one circuit.
      shots: shots in all (0 for exact simulation).
      qpu_seconds: estimated device time, ``None`` where the backend has no device clock (a
        sum counts such parts as 0).
      price: estimated price in US dollars at the backend's :class:`Pricing`, ``None`` where
        it has none (as for ``qpu_seconds``).
    """

    calls: int = 0
    jobs: int = 0
    round_trips: int = 0
    parameter_sets: int = 0
    executions: int = 0
    shots: int = 0
    qpu_seconds: float | None = None
    price: float | None = None

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            **{f.name: _add(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)}
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _add(a: float | None, b: float | None) -> float | None:
    """The sum, a part without a clock or a price (``None``: a simulator's) counting as 0;
    ``None`` only if neither part has one."""
    if a is None or b is None:
        return b if a is None else a
    return a + b


@dataclass(frozen=True)
class Pricing:
    """How a vendor bills a device, and what a free plan allows.

    The price of a :class:`Cost` is ``per_second x qpu_seconds + per_job x jobs + per_shot x
    shots``, in US dollars. ``source`` says where the rates come from and when they were read:
    prices change, so check them before spending.

    Attributes:
      per_second, per_job, per_shot: rates in US dollars.
      source: the published price list and its date.
      free_seconds: QPU seconds a free plan allows (``None``: no free plan); free_plan: its name.
    """

    source: str
    per_second: float = 0.0
    per_job: float = 0.0
    per_shot: float = 0.0
    free_seconds: float | None = None
    free_plan: str | None = None

    def price(self, cost: Cost) -> float | None:
        """The price of ``cost``; ``None`` if it is billed by time and its time is unknown."""
        if self.per_second and cost.qpu_seconds is None:
            return None
        seconds = cost.qpu_seconds or 0.0
        return self.per_second * seconds + self.per_job * cost.jobs + self.per_shot * cost.shots


def check_price(label: str, value: object) -> float:
    """``value`` as US dollars; a :class:`BackendInputError` unless it is a finite number
    >= 0 (a backend's price option: ``price_per_second``, ``price_per_shot``, ...)."""
    check_finite(label, value, error=BackendInputError)
    if value < 0:  # type: ignore[operator]
        raise BackendInputError(f"{label} must be US dollars >= 0, got {value!r}")
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CallRecord:
    """What one backend call ran: its estimated cost, the vendor's job ids, and the usage the
    vendor reported for them (billed QPU seconds; ``None`` where it reports none, as
    simulators and local testing modes do)."""

    cost: Cost = Cost()
    job_ids: tuple[str, ...] = ()
    usage_seconds: float | None = None


@dataclass(frozen=True)
class CircuitStatistics:
    """A circuit as a device runs it, in plain numbers.

    Attributes:
      depth, two_qubit_gates: of one parameter set's circuit compiled for the device.
      duration_seconds: of one execution on the device (``None`` where it states no gate
        times).
      regions: where parameter sets run side by side in one execution (packing): for each
        region its physical qubits and error figures; one entry when not packed.
    """

    depth: int
    two_qubit_gates: int
    duration_seconds: float | None = None
    regions: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
