"""The ``ibm_runtime`` backend in local testing mode, with a stand-in for the remote service."""

from __future__ import annotations

import logging
import sys
import traceback

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")
pytest.importorskip("qiskit_aer")

from qrkt.backends.hardware import Cost
from qrkt.backends.ibm_runtime import IBM_PRICING, IBMRuntimeBackend, require_runtime
from qrkt.backends.parameter_shift import parameter_shift_cost, parameter_shift_vjp
from qrkt.backends.qiskit_compile import transpile_for
from qrkt.backends.qiskit_device import check_isa
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits import build_ansatz, circuit, cnot, input_param, rx, ry, weight_param
from qrkt.circuits.qiskit_convert import to_qiskit
from qrkt.errors import (
    BackendInputError,
    JobError,
    MissingDependencyError,
    UnknownNameError,
    UnsupportedError,
)
from qrkt.testing.conformance import sample_arguments, shot_tolerances
from tests.backends.fake_runtime_service import BILLED_PER_JOB, FakeRuntimeService

TOKEN = "fake-token-0123456789abcdef"
# One input, one weight: the cheapest circuit with a gradient (2 occurrences: 4 B sets).
TINY = circuit(2, [ry(0, input_param(0)), cnot(0, 1), rx(1, weight_param(0))])


def shot_tolerance(shots: int) -> float:
    """5 standard errors of a mean of +-1 values over ``shots``."""
    return 5 / np.sqrt(shots)


def noise_allowance(backend: IBMRuntimeBackend, c: object) -> float:
    """How far the device's noise can move an expectation value: 2 x the probability that any
    gate or readout of the ISA circuit errs (the target's error rates)."""
    qc = transpile_for(c, backend.device, backend.optimization_level).sampler_circuit
    target = backend.device.target
    survive = 1.0
    for instruction in qc.data:
        if instruction.operation.name != "barrier":
            qubits = tuple(qc.find_bit(q).index for q in instruction.qubits)
            survive *= 1 - (target[instruction.operation.name][qubits].error or 0.0)
    return 2 * (1 - survive)


@pytest.mark.parametrize(
    ("c", "primitive"),
    [
        (build_ansatz("qrkt", 3, 2), "sampler"),
        (build_ansatz("cara", 4), "sampler"),
        (build_ansatz("qrkt", 2, 1), "estimator"),
    ],
)
def test_noiseless_values_match_reference_within_shot_noise(c, primitive) -> None:
    backend = IBMRuntimeBackend("aer", primitive=primitive, shots=2000, seed=7)
    inputs, weights = sample_arguments(c, batch=8)
    values = backend.run(c, inputs, weights)
    assert values.shape == (8, c.n_observables)
    expected = ReferenceBackend().run(c, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(2000)


@pytest.mark.parametrize("c", [build_ansatz("qrkt", 2, 1), build_ansatz("cara", 3)])
def test_fake_device_values_match_reference_within_shot_noise_and_device_noise(c) -> None:
    backend = IBMRuntimeBackend("fake_manila", shots=2000, seed=3)
    assert backend.capabilities.max_qubits == 5 and backend.capabilities.noise
    inputs, weights = sample_arguments(c, batch=8)
    values = backend.run(c, inputs, weights)
    expected = ReferenceBackend().run(c, inputs, weights)
    tolerance = shot_tolerance(2000) + noise_allowance(backend, c)
    assert tolerance < 0.5  # a meaningful check
    assert np.max(np.abs(values - expected)) <= tolerance


def test_mitigated_estimator_runs_at_resilience_level_1() -> None:
    backend = IBMRuntimeBackend("aer", resilience_level=1, shots=1000, seed=1)
    assert backend.primitive == "estimator"  # chosen for the resilience level
    inputs, weights = sample_arguments(TINY, batch=2)
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(1000)


def test_a_batch_of_256_is_one_job_forward_and_one_job_per_gradient() -> None:
    service = FakeRuntimeService()
    backend = IBMRuntimeBackend("fake_manila", shots=256, seed=5, packing="off", service=service)
    inputs, weights = sample_arguments(TINY, batch=256)
    backend.run(TINY, inputs, weights)
    forward = backend.counts.last.cost
    assert (forward.jobs, forward.parameter_sets, forward.executions) == (1, 256, 256)
    assert forward == backend.estimate(TINY, 256)

    cotangent = np.ones((256, TINY.n_observables))
    parameter_shift_vjp(backend, TINY, inputs, weights, cotangent)
    gradient = backend.counts.last.cost
    assert (gradient.jobs, gradient.parameter_sets) == (1, 4 * 256)
    assert gradient == parameter_shift_cost(backend, TINY, 256)
    # what the service billed (job.usage()) is recorded beside the estimate
    assert backend.counts.last.usage_seconds == pytest.approx(
        BILLED_PER_JOB + 4 * 256 * 256 * 250e-6
    )
    assert backend.counts.last.job_ids == ("fake-job-1",)
    assert backend.counts.jobs == len(service.submissions) == 2
    assert backend.counts.shots == (256 + 1024) * 256
    assert backend.counts.qpu_seconds == pytest.approx(forward.qpu_seconds + gradient.qpu_seconds)


def test_jax_gradient_is_one_forward_job_and_one_gradient_job() -> None:
    import jax
    import jax.numpy as jnp

    from qrkt.backends.bridge import expectation_function

    backend = IBMRuntimeBackend("aer", shots=4000, seed=2)
    inputs, weights = sample_arguments(TINY, batch=4)
    function = expectation_function(backend, TINY)
    with jax.experimental.enable_x64():
        grads = jax.grad(lambda x, w: jnp.sum(function(x, w)), argnums=(0, 1))(inputs, weights)
    assert backend.counts.jobs == 2 and backend.counts.calls == 2
    assert backend.counts.last.cost.parameter_sets == 4 * 4  # 2 shifts x 2 occurrences x B
    cotangent = np.ones((4, TINY.n_observables))
    reference = parameter_shift_vjp(ReferenceBackend(), TINY, inputs, weights, cotangent)
    for actual, expected, tolerance in zip(
        grads, reference, shot_tolerances(TINY, cotangent, 4000), strict=True
    ):
        assert np.all(np.abs(np.asarray(actual) - expected) <= tolerance)


def test_a_batch_over_the_job_limit_is_split_into_jobs_of_one_batch_in_order() -> None:
    service = FakeRuntimeService()
    backend = IBMRuntimeBackend(
        "aer", shots=1000, seed=4, max_executions_per_job=10_000, service=service
    )
    inputs = np.linspace(-3, 3, 35)[:, None]  # distinct values: a shuffled job would show
    weights = np.array([0.4])
    assert backend.estimate(TINY, 35).jobs == 4  # 10 + 10 + 10 + 5 parameter sets
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(1000)
    assert [len(s.parameter_values) for s in service.submissions] == [10, 10, 10, 5]
    modes = {id(s.mode) for s in service.submissions}
    assert len(modes) == 1 and type(service.submissions[0].mode).__name__ == "Batch"
    assert backend.counts.last.cost == backend.estimate(TINY, 35)
    assert backend.counts.last.job_ids == tuple(s.job_id for s in service.submissions)


def test_a_failed_job_is_resubmitted_until_it_succeeds() -> None:
    service = FakeRuntimeService(faults=["failed", "cancelled"])
    backend = IBMRuntimeBackend("aer", shots=1000, seed=1, retry_delay=0, service=service)
    inputs, weights = sample_arguments(TINY, batch=6)
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(1000)
    assert len(service.submissions) == 3
    assert (backend.counts.jobs, backend.counts.retries) == (3, 2)
    assert (backend.counts.last.cost.jobs, backend.counts.last.cost.round_trips) == (3, 3)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("too_long", "ran longer than maximum execution time"),
        ("timeout", "Timed out waiting for job"),
        ("failed", "Error code 1517"),
    ],
)
def test_a_job_that_keeps_failing_raises_naming_the_job_and_the_reason(fault, reason) -> None:
    service = FakeRuntimeService(faults=[fault] * 3)
    backend = IBMRuntimeBackend("aer", max_retries=2, retry_delay=0, service=service)
    inputs, weights = sample_arguments(TINY, batch=2)
    with pytest.raises(JobError, match=f"job fake-job-2, failed after 3 attempt.*{reason}") as e:
        backend.run(TINY, inputs, weights)
    assert e.value.job_id == "fake-job-2" and reason in e.value.reason
    assert backend.counts.jobs == 3  # spent, although the call failed


def test_a_refused_submission_raises_without_a_job() -> None:
    backend = IBMRuntimeBackend("aer", service=FakeRuntimeService(faults=["refused"]))
    inputs, weights = sample_arguments(TINY, batch=2)
    with pytest.raises(JobError, match=r"could not submit job 1 of 1.*503 Server Error"):
        backend.run(TINY, inputs, weights)
    assert backend.counts.jobs == 0


def test_in_a_split_run_only_the_failed_job_is_resubmitted() -> None:
    service = FakeRuntimeService(faults=[None, "failed"])
    backend = IBMRuntimeBackend(
        "aer", shots=500, seed=2, max_executions_per_job=2_500, retry_delay=0, service=service
    )
    inputs, weights = np.linspace(-3, 3, 15)[:, None], np.array([1.1])
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(500)
    first_rows = [s.parameter_values[0] for s in service.submissions]
    starts = inputs[[0, 5, 10, 5], 0]  # jobs 1, 2, 3, then job 2 again
    assert len(first_rows) == 4
    assert all(x in row for x, row in zip(starts, first_rows, strict=True))
    assert (backend.counts.jobs, backend.counts.retries) == (4, 1)


def test_giving_up_on_a_split_run_cancels_the_pending_jobs() -> None:
    service = FakeRuntimeService(faults=[None, "failed", None, "failed"])
    backend = IBMRuntimeBackend(
        "aer",
        shots=500,
        max_executions_per_job=2_500,
        max_retries=1,
        retry_delay=0,
        service=service,
    )
    inputs, weights = np.linspace(-3, 3, 15)[:, None], np.array([1.1])
    with pytest.raises(JobError, match="completed jobs of this call: fake-job-0"):
        backend.run(TINY, inputs, weights)
    cancelled = [s.job_id for s in service.submissions if s.job.cancel_requested]
    assert "fake-job-2" in cancelled and "fake-job-0" not in cancelled


def test_a_session_is_kept_across_calls_until_closed() -> None:
    service = FakeRuntimeService()
    backend = IBMRuntimeBackend("aer", shots=100, execution_mode="session", service=service)
    inputs, weights = sample_arguments(TINY, batch=2)
    backend.run(TINY, inputs, weights)
    backend.run(TINY, inputs, weights)
    first, second = (s.mode for s in service.submissions)
    assert first is second and type(first).__name__ == "Session"
    backend.close()
    backend.run(TINY, inputs, weights)
    assert service.submissions[2].mode is not first


def test_job_mode_submits_to_the_device() -> None:
    service = FakeRuntimeService()
    backend = IBMRuntimeBackend("aer", shots=100, execution_mode="job", service=service)
    backend.run(TINY, *sample_arguments(TINY, batch=2))
    assert service.submissions[0].mode is None  # no Session or Batch


def test_a_circuit_wider_than_the_device_fails_early() -> None:
    service = FakeRuntimeService()
    backend = IBMRuntimeBackend("fake_manila", service=service)
    wide = build_ansatz("qrkt", 6)
    message = r"on device 'fake_manila' runs at most 5 qubits, got a 6-qubit circuit"
    with pytest.raises(UnsupportedError, match=message):
        backend.estimate(wide, 4)
    with pytest.raises(UnsupportedError, match=message):
        backend.run(wide, *sample_arguments(wide, batch=4))
    assert service.submissions == []


def test_the_estimate_prices_a_call_and_its_gradient_without_submitting() -> None:
    service = FakeRuntimeService()
    backend = IBMRuntimeBackend("fake_manila", shots=1000, service=service)
    c = build_ansatz("qrkt", 3, 2)
    cost = backend.estimate(c, 100) + parameter_shift_cost(backend, c, 100)
    occurrences = sum(1 for _ in c.params())
    sets = 100 + 2 * occurrences * 100
    assert cost == Cost(
        calls=2,
        jobs=2,
        round_trips=2,
        parameter_sets=sets,
        executions=sets,
        shots=sets * 1000,
        qpu_seconds=cost.qpu_seconds,
        price=cost.qpu_seconds * IBM_PRICING.per_second,
    )
    # at least the repetition delay of every shot, plus the overhead of each job
    assert cost.qpu_seconds > 2 * 2.0 + cost.shots * 250e-6
    assert service.submissions == []
    with pytest.raises(BackendInputError, match="rows must be an integer >= 1, got 0"):
        backend.estimate(c, 0)
    cheaper = IBMRuntimeBackend("fake_manila", shots=1000, price_per_second=0.5, service=service)
    assert cheaper.estimate(c, 100).price == pytest.approx(cheaper.estimate(c, 100).qpu_seconds / 2)


def test_circuit_statistics_describe_the_transpiled_circuit() -> None:
    backend = IBMRuntimeBackend("fake_manila")
    statistics = backend.circuit_statistics(TINY)
    isa = transpile_for(TINY, backend.device).sampler_circuit
    assert (statistics.depth, statistics.two_qubit_gates) == (isa.depth(), 1)
    assert 0 < statistics.duration_seconds < 1e-4


def test_a_circuit_that_is_not_isa_is_rejected_before_submission() -> None:
    backend = IBMRuntimeBackend("fake_manila")
    check_isa(transpile_for(TINY, backend.device).sampler_circuit, backend.device)
    with pytest.raises(UnsupportedError, match=r"'ry' on qubits \(0,\).*does not run"):
        check_isa(to_qiskit(TINY), backend.device)  # not transpiled: ry is not native


def test_a_remote_device_is_resolved_through_the_service() -> None:
    service = FakeRuntimeService(devices={"ibm_fake_remote": "fake_lima"})
    backend = IBMRuntimeBackend("ibm_fake_remote", service=service, shots=100)
    assert backend.device.name == "fake_lima" and backend.capabilities.max_qubits == 5
    backend.run(TINY, *sample_arguments(TINY, batch=2))
    assert len(service.submissions) == 1
    with pytest.raises(JobError, match=r"could not get device 'ibm_nope'.*No backend matches"):
        IBMRuntimeBackend("ibm_nope", service=service)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"primitive": "sampler", "resilience_level": 1}, UnsupportedError, "needs the estimator"),
        ({"resilience_level": 3}, BackendInputError, "resilience_level must be one of 0, 1, 2"),
        ({"precision": 0.01}, BackendInputError, "needs primitive='estimator'"),
        (
            {"primitive": "estimator", "precision": 1e-200},
            BackendInputError,
            r"precision must be a number from 1e-4 to below 1 .* got precision=1e-200",
        ),
        ({"primitive": "estimator", "precision": float("inf")}, BackendInputError, "from 1e-4"),
        ({"twirling": True}, UnsupportedError, "device='aer' lacks"),
        ({"execution_mode": "dedicated"}, BackendInputError, "'job', 'batch', 'session'"),
        ({"shots": 20_000_000}, UnsupportedError, "exceed the per-job limit"),
        ({"shots": 10**12}, UnsupportedError, "1000000000000 shots .* limit of 10000000"),
        ({"device": "fake_manila", "shots": 200_000}, UnsupportedError, "at most 100000 shots"),
        ({"device": "fake_nowhere"}, UnknownNameError, "known: .*fake_manila"),
        (
            {"device": "fake_brisbane", "primitive": "estimator"},
            UnsupportedError,
            "measures all 127 qubits of 'fake_brisbane'",
        ),
    ],
)
def test_bad_options_fail_at_construction(options, error, match) -> None:
    with pytest.raises(error, match=match):
        IBMRuntimeBackend(**options)


def test_options_reach_the_primitive_and_precision_sets_the_shots() -> None:
    backend = IBMRuntimeBackend(
        "fake_manila", primitive="estimator", precision=0.05, dynamical_decoupling=True
    )
    assert backend.shots_per_circuit == 400
    assert backend._options.default_precision == 0.05
    assert backend._options.dynamical_decoupling.enable
    assert backend._options.resilience_level == 0


def test_the_token_never_shows(monkeypatch, caplog) -> None:
    import qiskit_ibm_runtime
    from qiskit_ibm_runtime.exceptions import IBMNotAuthorizedError
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)

    class RejectingService:  # a client that quotes the token in its error
        def __init__(self, **options: object) -> None:
            raise IBMNotAuthorizedError(f"401 Unauthorized: API key {TOKEN} is not valid")

    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", RejectingService)
    with pytest.raises(JobError, match=r"could not get device 'ibm_brisbane'.*\*\*\*") as raised:
        IBMRuntimeBackend("ibm_brisbane")
    report = "".join(traceback.format_exception(raised.value))
    assert TOKEN not in report + repr(raised.value) + str(raised.value.reason)

    class AcceptingService:  # reads the token from the environment, as the real one does
        def __init__(self, **options: object) -> None:
            self.options = options

        def backend(self, name: str) -> object:
            return FakeManilaV2()

    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", AcceptingService)
    backend = IBMRuntimeBackend("ibm_brisbane", instance="my-instance", shots=100)
    assert backend.client.service().options == {"instance": "my-instance"}  # no token passed
    backend.run(TINY, *sample_arguments(TINY, batch=2))
    shown = repr(backend) + str(backend) + repr(vars(backend)) + repr(backend.counts)
    assert TOKEN not in shown + caplog.text


def test_default_options_give_a_local_noiseless_backend() -> None:
    backend = IBMRuntimeBackend()
    assert backend.device_name == "aer" and backend.primitive == "sampler"
    assert not backend.capabilities.exact and not backend.capabilities.autodiff
    assert backend.capabilities.max_qubits == backend.device.num_qubits
    assert "aer, sampler, 4096 shots, resilience 0, packing auto (floor 0.9), batch mode" in repr(
        backend
    )


def test_a_missing_runtime_package_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "qiskit_ibm_runtime", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'qrkt\[ibm\]'"):
        require_runtime()


def test_packing_runs_k_parameter_sets_per_execution_and_reads_each_region_back() -> None:
    # fake_guadalupe (16 qubits) holds 3-qubit regions; small enough to simulate whole.
    service = FakeRuntimeService()
    c = build_ansatz("qrkt", 3)
    # two regions of 3 qubits: few enough active qubits to simulate the packed circuit whole
    packed = IBMRuntimeBackend("fake_guadalupe", shots=2000, seed=3, packing=2, service=service)
    unpacked = IBMRuntimeBackend("fake_guadalupe", shots=2000, seed=3, packing="off")
    inputs, weights = sample_arguments(c, batch=13)
    values = packed.run(c, inputs, weights)
    regions = packed.circuit_statistics(c).regions
    k = len(regions)
    assert k >= 2
    cost = packed.counts.last.cost
    assert (cost.parameter_sets, cost.executions, cost.jobs) == (13, -(-13 // k), 1)
    assert cost == packed.estimate(c, 13)
    assert unpacked.estimate(c, 13).executions == 13
    assert cost.qpu_seconds < unpacked.estimate(c, 13).qpu_seconds
    (job_pubs,) = (s.pubs for s in service.submissions)
    assert len(job_pubs) == 1 and job_pubs[0][0].num_qubits == 16  # one wide circuit
    # each region's values match the exact ones within shot noise and that region's noise
    expected = ReferenceBackend().run(c, inputs, weights)
    tolerance = shot_tolerance(2000) + noise_allowance(unpacked, c) + 0.1
    assert np.max(np.abs(values - expected)) <= tolerance
    assert np.max(np.abs(values - unpacked.run(c, inputs, weights))) <= 2 * tolerance
    qubits = [q for region in regions for q in region["qubits"]]
    assert len(qubits) == len(set(qubits)) == 3 * k  # disjoint


def test_a_wide_device_is_simulated_region_by_region_locally() -> None:
    service = FakeRuntimeService()
    c = build_ansatz("qrkt", 6)
    backend = IBMRuntimeBackend("fake_fez", shots=500, seed=2, service=service)
    inputs, weights = sample_arguments(c, batch=30)
    values = backend.run(c, inputs, weights)
    k = len(backend.circuit_statistics(c).regions)
    assert k * 6 > 8  # too many active qubits for a whole simulation here
    # one local job per region, on the region's own qubits; priced as the one packed job
    assert len(service.submissions) == k
    assert all(len(s.pubs) == 1 and s.pubs[0][0].num_qubits == 6 for s in service.submissions)
    assert backend.counts.last.cost == backend.estimate(c, 30)
    assert backend.counts.last.cost.executions == -(-30 // k)
    expected = ReferenceBackend().run(c, inputs, weights)
    assert np.mean(np.abs(values - expected)) < 0.15  # fez's noise, 500 shots


def test_packing_options_are_checked() -> None:
    with pytest.raises(BackendInputError, match="packing must be 'auto', 'off' or a number"):
        IBMRuntimeBackend("aer", packing="on")
    with pytest.raises(UnsupportedError, match="packing=3 needs the sampler"):
        IBMRuntimeBackend("aer", packing=3, resilience_level=1)
    with pytest.raises(BackendInputError, match="packing_floor must be a number from 0 to 1"):
        IBMRuntimeBackend("aer", packing_floor=2)
    assert IBMRuntimeBackend("aer", packing=1).estimate(TINY, 8).executions == 8
    fixed = IBMRuntimeBackend("fake_guadalupe", packing=2)
    assert fixed.estimate(TINY, 8).executions == 4
    with pytest.raises(UnsupportedError, match="fits"):
        IBMRuntimeBackend("fake_manila", packing=4).estimate(TINY, 8)
