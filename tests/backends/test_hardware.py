"""The hardware part of the backend contract: costs, prices, call records, simulator defaults."""

import numpy as np
import pytest

from qrkt.backends import get_backend
from qrkt.backends.hardware import CallRecord, Cost, Pricing
from qrkt.circuits import build_ansatz
from qrkt.errors import BackendInputError


def test_costs_add_field_by_field_and_a_part_without_a_clock_counts_as_zero() -> None:
    a = Cost(calls=1, jobs=1, round_trips=1, parameter_sets=10, executions=5, shots=50)
    b = Cost(calls=2, jobs=3, round_trips=2, parameter_sets=4, executions=4, shots=8)
    total = a + b
    assert (total.calls, total.jobs, total.parameter_sets, total.executions) == (3, 4, 14, 9)
    assert total.qpu_seconds is None and total.price is None
    timed = Cost(qpu_seconds=2.5, price=4.0) + Cost(qpu_seconds=1.5, price=1.0)
    assert (timed.qpu_seconds, timed.price) == (4.0, 5.0)
    assert (Cost(qpu_seconds=1.0) + Cost()).qpu_seconds == 1.0
    assert sum([a, b], Cost()) == total


def test_pricing_by_time_by_job_and_by_shot() -> None:
    cost = Cost(jobs=3, shots=1000, qpu_seconds=10.0)
    assert Pricing("per second", per_second=1.6).price(cost) == pytest.approx(16.0)
    per_task = Pricing("per task and shot", per_job=0.3, per_shot=0.01)
    assert per_task.price(cost) == pytest.approx(0.9 + 10.0)
    assert per_task.price(Cost(jobs=1, shots=10)) == pytest.approx(0.4)  # no clock needed
    assert Pricing("per second", per_second=1.6).price(Cost(jobs=1)) is None


def test_a_simulator_call_costs_one_local_job_and_is_recorded() -> None:
    backend = get_backend("reference")
    circuit = build_ansatz("qrkt", 3)
    assert backend.estimate(circuit, 8) == Cost(
        calls=1, jobs=1, round_trips=1, parameter_sets=8, executions=8, shots=0
    )
    assert backend.circuit_statistics(circuit) is None and backend.pricing is None
    backend.run(circuit, np.zeros((8, 3)), np.zeros(circuit.n_weights))
    assert backend.counts.last == CallRecord(backend.estimate(circuit, 8))
    backend.close()  # nothing to release, and no error
    with pytest.raises(BackendInputError, match="rows must be an integer >= 1, got 0"):
        backend.estimate(circuit, 0)
