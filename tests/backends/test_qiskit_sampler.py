"""The ``qiskit`` backend: any Qiskit device or sampler. Its conformance on ``aer`` and on
Braket's local simulator (through qiskit-braket-provider) runs in tests/testing."""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

from qiskit.primitives import BaseSamplerV2, StatevectorSampler
from qiskit.providers import JobError as QiskitJobError
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.transpiler import CouplingMap

from qrkt.backends.qiskit_sampler import QiskitSamplerBackend
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits import build_ansatz
from qrkt.errors import BackendInputError, JobError, MissingDependencyError, UnsupportedError
from qrkt.testing.conformance import sample_arguments, shot_tolerances

CIRCUIT = build_ansatz("qrkt", 3, 2)
SHOTS = 4000


class FlakySampler(BaseSamplerV2):
    """A sampler whose jobs fail as ``faults`` script them (``"failed"``: ``result()`` raises
    Qiskit's ``JobError``; ``"bad"``: a ``ValueError``, an error no resubmission mends),
    delegating the rest to ``StatevectorSampler``."""

    def __init__(self, faults: list[str | None]) -> None:
        self.inner = StatevectorSampler(seed=3)
        self.faults = faults
        self.submitted = 0

    def run(self, pubs: Any, *, shots: int | None = None) -> Any:
        fault = self.faults[self.submitted] if self.submitted < len(self.faults) else None
        self.submitted += 1
        job = self.inner.run(pubs, shots=shots)
        if fault is None:
            return job
        error = QiskitJobError("the job failed") if fault == "failed" else ValueError("bad PUB")

        class Failed:
            def job_id(self) -> str:
                return f"failed-{job.job_id()}"

            def result(self) -> Any:
                raise error

            def cancel(self) -> None:
                pass

        return Failed()


def assert_matches_reference(backend: QiskitSamplerBackend, batch: int = 6) -> None:
    inputs, weights = sample_arguments(CIRCUIT, batch, seed=1)
    expected = ReferenceBackend().run(CIRCUIT, inputs, weights)
    tolerance, _ = shot_tolerances(CIRCUIT, np.ones((batch, CIRCUIT.n_observables)), SHOTS)
    actual = backend.run(CIRCUIT, inputs, weights)
    assert np.all(np.abs(actual - expected) <= tolerance)


def test_a_given_sampler_runs_the_logical_circuit_in_one_job() -> None:
    backend = QiskitSamplerBackend(None, sampler=StatevectorSampler(seed=5), shots=SHOTS)
    assert backend.device is None and backend.device_name == "StatevectorSampler"
    assert_matches_reference(backend)
    assert backend.counts.jobs == 1 and len(backend.counts.last.job_ids) == 1


def test_a_wide_device_object_packs_parameter_sets_side_by_side() -> None:
    device = GenericBackendV2(16, coupling_map=CouplingMap.from_line(16), seed=1)
    backend = QiskitSamplerBackend(device, shots=SHOTS, seed=2, packing_floor=0)
    statistics = backend.circuit_statistics(CIRCUIT)
    assert len(statistics.regions) > 1
    cost = backend.estimate(CIRCUIT, 8)
    assert cost.jobs == 1 and cost.executions == -(-8 // len(statistics.regions))
    assert cost.qpu_seconds is None and cost.price is None  # no clock, no price given
    inputs, weights = sample_arguments(CIRCUIT, 8, seed=1)
    values = backend.run(CIRCUIT, inputs, weights)
    exact = ReferenceBackend().run(CIRCUIT, inputs, weights)
    assert np.corrcoef(values.ravel(), exact.ravel())[0, 1] > 0.8  # a noisy device
    assert backend.counts.last.cost == cost


def test_a_failed_job_is_resubmitted_and_recorded() -> None:
    sampler = FlakySampler(["failed", None])
    backend = QiskitSamplerBackend(None, sampler=sampler, shots=SHOTS, retry_delay=0)
    assert_matches_reference(backend)
    assert sampler.submitted == 2
    assert backend.counts.retries == 1 and backend.counts.last.cost.jobs == 2


def test_giving_up_names_the_job_and_the_reason() -> None:
    backend = QiskitSamplerBackend(
        None, sampler=FlakySampler(["failed"] * 3), max_retries=1, retry_delay=0
    )
    with pytest.raises(JobError, match=r"job failed-\S+, failed after 2 attempt\(s\): JobError"):
        assert_matches_reference(backend)
    with pytest.raises(JobError, match="failed and was not resubmitted: ValueError: bad PUB"):
        QiskitSamplerBackend(None, sampler=FlakySampler(["bad"])).run(
            CIRCUIT, *sample_arguments(CIRCUIT, 2)
        )


def test_prices_given_price_the_cost() -> None:
    backend = QiskitSamplerBackend("aer", shots=100, price_per_job=0.3, price_per_shot=0.01)
    assert backend.estimate(CIRCUIT, 5).price == pytest.approx(0.3 + 5 * 100 * 0.01)


def test_named_devices_resolve_or_say_what_is_known() -> None:
    assert QiskitSamplerBackend("fake_manila").capabilities.max_qubits == 5
    assert QiskitSamplerBackend("braket_local:braket_dm").capabilities.max_qubits == 13
    with pytest.raises(BackendInputError, match=r"unknown device 'ibm:fez'; give 'aer'"):
        QiskitSamplerBackend("ibm:fez")
    with pytest.raises(BackendInputError, match="give the device after 'ionq:'"):
        QiskitSamplerBackend("ionq:")


def test_a_provider_error_masks_the_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "qrkt-secret-4711")
    monkeypatch.setattr(
        "qrkt.backends.qiskit_sampler._provider_device",
        lambda prefix, name: (_ for _ in ()).throw(
            RuntimeError(os.environ["AWS_SECRET_ACCESS_KEY"])
        ),
    )
    with pytest.raises(JobError, match=r"could not get device 'braket:Garnet'") as caught:
        QiskitSamplerBackend("braket:Garnet")
    assert "qrkt-secret-4711" not in str(caught.value) and "***" in str(caught.value)


def test_a_missing_provider_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qiskit_ionq", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'qrkt\[ionq\]'"):
        QiskitSamplerBackend("ionq:simulator")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"device": None}, "got neither a device nor a sampler"),
        ({"sampler": object()}, "sampler must be a Qiskit BaseSamplerV2 .* got object"),
        ({"device": 3}, "device must be a name .* got int"),
        ({"shots": 0}, "shots must be an integer >= 1, got 0"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"retry_delay": 1e30}, "retry_delay must be a number of seconds from 0 to 3600"),
        ({"packing": "some"}, "packing must be 'auto', 'off' or a number"),
        ({"price_per_shot": -1}, "price_per_shot must be US dollars >= 0, got -1"),
        ({"optimization_level": 5}, "optimization_level must be 0, 1, 2 or 3, got 5"),
    ],
)
def test_bad_options_are_refused_with_the_fix(options: dict, message: str) -> None:
    with pytest.raises(BackendInputError, match=message):
        QiskitSamplerBackend(**options)


def test_a_circuit_wider_than_the_device_is_refused_before_running() -> None:
    with pytest.raises(UnsupportedError, match="on device 'fake_manila' runs at most 5 qubits"):
        QiskitSamplerBackend("fake_manila").estimate(build_ansatz("qrkt", 6, 1), 1)
