"""The ``braket`` backend on Braket's local simulators, and on a stand-in for an AWS device. Its
conformance (local, exact and with shots) runs in tests/testing."""

from __future__ import annotations

import logging
import subprocess
import sys
import traceback

import numpy as np
import pytest

pytest.importorskip("braket")

from qrkt.backends.braket import PRICING_SOURCE, BraketBackend, BraketClient
from qrkt.backends.hardware import Cost
from qrkt.backends.parameter_shift import parameter_shift_cost, parameter_shift_vjp
from qrkt.backends.reference import ReferenceBackend
from qrkt.circuits import build_ansatz, circuit, cnot, h, input_param, rx, ry, weight_param, z
from qrkt.circuits.ir import PauliString
from qrkt.errors import (
    BackendInputError,
    JobError,
    MissingDependencyError,
    UnsupportedError,
)
from qrkt.testing.conformance import sample_arguments
from tests.backends.fake_braket import (
    EMERALD,
    FORTE,
    GARNET,
    REFUSED,
    FakeAwsDevice,
    FakeBraketClient,
)

# One input, one weight: the cheapest circuit with a gradient (2 occurrences: 4 B sets).
TINY = circuit(2, [ry(0, input_param(0)), cnot(0, 1), rx(1, weight_param(0))])
SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAFAKEKEYID0123456",
    "AWS_SECRET_ACCESS_KEY": "fake/secret+access/key0123456789abcdefghij",
    "AWS_SESSION_TOKEN": "FakeSessionToken0123456789abcdefghijklmnop",
}


def shot_tolerance(shots: int) -> float:
    """5 standard errors of a mean of +-1 values over ``shots``."""
    return 5 / np.sqrt(shots)


def forte(device: FakeAwsDevice | None = None, **options: object) -> BraketBackend:
    """The backend on the stand-in for IonQ Forte-1, with ``options``."""
    options = {"shots": 1000, "retry_delay": 0, **options}
    return BraketBackend(FORTE, aws_session=FakeBraketClient(device or FakeAwsDevice()), **options)


@pytest.mark.parametrize("shots", [0, 200])
def test_qubits_and_z_strings_are_read_in_the_ir_order(shots) -> None:
    # |100>: qubit 0 flipped, so Z0 = -1, Z2 = +1, Z0 Z1 = -1 and Z1 Z2 = +1, without noise
    flipped = circuit(
        3,
        [rx(0, input_param(0)), h(2), h(2)],
        observables=[
            z(0),
            z(2),
            PauliString(((0, "Z"), (1, "Z"))),
            PauliString(((1, "Z"), (2, "Z"))),
        ],
    )
    expected = [[-1.0, 1.0, -1.0, 1.0]]
    local = BraketBackend("local", shots=shots)
    np.testing.assert_allclose(local.run(flipped, [[np.pi]], []), expected, atol=1e-12)
    if shots:
        device = forte(shots=shots)
        np.testing.assert_allclose(device.run(flipped, [[np.pi]], []), expected)


def test_noise_moves_values_toward_zero_on_the_density_matrix_simulator() -> None:
    from braket.circuits import Noise
    from braket.circuits.noise_model import GateCriteria, NoiseModel

    c = build_ansatz("qrkt", 3, 2)
    inputs, weights = sample_arguments(c, batch=4)
    ideal = ReferenceBackend().run(c, inputs, weights)
    noiseless = BraketBackend("local_dm", shots=0, noise=0.0)
    np.testing.assert_allclose(noiseless.run(c, inputs, weights), ideal, atol=1e-10)
    noisy = BraketBackend("local_dm", shots=0, noise=0.05).run(c, inputs, weights)
    assert np.mean(np.abs(noisy)) < 0.7 * np.mean(np.abs(ideal))
    # one gate, then a depolarizing channel of p: the Bloch vector shrinks by 1 - 4p/3
    one = circuit(1, [ry(0, input_param(0))])
    angles = np.linspace(-3, 3, 5)[:, None]
    shrunk = BraketBackend("local_dm", shots=0, noise=0.3).run(one, angles, [])
    np.testing.assert_allclose(shrunk, (1 - 0.4) * np.cos(angles), atol=1e-12)
    model = NoiseModel().add_noise(Noise.BitFlip(0.1), GateCriteria())
    flipped = BraketBackend("local_dm", shots=0, noise=model).run(c, inputs, weights)
    assert np.max(np.abs(flipped - ideal)) > 0.01
    sampled = BraketBackend("local_dm", shots=2000, noise=0.05).run(c, inputs, weights)
    assert np.max(np.abs(sampled - noisy)) <= shot_tolerance(2000)


def test_one_call_is_one_task_and_a_gradient_one_more() -> None:
    local = BraketBackend("local", shots=500)
    local.run(TINY, *sample_arguments(TINY, batch=40))
    assert local.counts.last.cost.jobs == 1 and len(local.counts.last.job_ids) == 1

    device = FakeAwsDevice()
    backend = forte(device, shots=500)
    inputs, weights = sample_arguments(TINY, batch=20)
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(500)
    (submission,) = device.submissions
    assert (submission.executables, submission.shots) == (20, 20 * 500)
    assert backend.counts.last.cost == backend.estimate(TINY, 20)
    assert backend.counts.last.job_ids == (submission.task_id,)

    parameter_shift_vjp(backend, TINY, inputs, weights, np.ones((20, TINY.n_observables)))
    assert len(device.submissions) == 2 and device.submissions[1].executables == 4 * 20
    assert backend.counts.last.cost == parameter_shift_cost(backend, TINY, 20)
    assert (backend.counts.jobs, backend.counts.retries) == (2, 0)


@pytest.mark.parametrize(
    ("limits", "sizes"),
    [
        ({"max_executables": 10}, [10, 10, 10, 5]),
        ({"max_total_shots": 12_000}, [12, 12, 11]),  # 12 sets of 1000 shots
    ],
)
def test_a_call_is_split_at_the_program_set_limits_in_order(limits, sizes) -> None:
    device = FakeAwsDevice(**limits)
    backend = forte(device, shots=1000)
    inputs, weights = np.linspace(-3, 3, 35)[:, None], np.array([0.4])  # a shuffle would show
    assert backend.estimate(TINY, 35).jobs == len(sizes)
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(1000)
    assert [s.executables for s in device.submissions] == sizes
    assert backend.counts.last.cost == backend.estimate(TINY, 35)
    assert backend.counts.last.job_ids == tuple(s.task_id for s in device.submissions)


def test_a_program_set_under_the_device_minimum_is_refused_before_submission() -> None:
    device = FakeAwsDevice(min_total_shots=5000)
    backend = forte(device, shots=1000)
    assert backend.estimate(TINY, 5).jobs == 1
    message = "runs at least 5000 shots in a program set, but .* runs 3 parameter sets x 1000"
    with pytest.raises(UnsupportedError, match=message):
        backend.estimate(TINY, 3)
    with pytest.raises(UnsupportedError, match=message):
        backend.run(TINY, *sample_arguments(TINY, batch=3))
    assert device.submissions == []


def test_a_device_without_program_sets_runs_one_task_per_parameter_set() -> None:
    device = FakeAwsDevice(program_sets=False)
    backend = forte(device, shots=1000)
    inputs, weights = np.linspace(-3, 3, 5)[:, None], np.array([1.1])
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(1000)
    assert [s.inputs["x0"] for s in device.submissions] == pytest.approx(inputs[:, 0])
    assert {s.shots for s in device.submissions} == {1000}
    cost = backend.counts.last.cost
    assert (cost.jobs, cost.executions, cost.shots) == (5, 5, 5000)
    assert cost.price == pytest.approx(5 * 0.30 + 5000 * 0.08)


def test_the_estimate_prices_tasks_and_shots_without_submitting() -> None:
    device = FakeAwsDevice()
    backend = forte(device, shots=1000)
    c = build_ansatz("qrkt", 3, 2)
    # Braket bills per task and per shot, not by time: no QPU seconds
    assert backend.estimate(c, 100) == Cost(
        calls=1,
        jobs=1,
        round_trips=1,
        parameter_sets=100,
        executions=100,
        shots=100_000,
        qpu_seconds=None,
        price=pytest.approx(0.30 + 100_000 * 0.08),
    )
    assert backend.pricing.source == PRICING_SOURCE
    assert device.submissions == []
    with pytest.raises(BackendInputError, match="rows must be an integer >= 1, got 0"):
        backend.estimate(c, 0)

    cheaper = forte(shots=1000, price_per_shot=0.01)
    assert cheaper.estimate(c, 100).price == pytest.approx(0.30 + 100_000 * 0.01)
    garnet = BraketBackend(GARNET, aws_session=FakeBraketClient(FakeAwsDevice(GARNET)))
    assert garnet.estimate(c, 10).price == pytest.approx(0.30 + 10_000 * 0.00145)
    emerald_device = FakeAwsDevice(EMERALD)
    emerald = BraketBackend(EMERALD, aws_session=FakeBraketClient(emerald_device))
    assert emerald.pricing is None and emerald.estimate(c, 10).price is None
    priced = BraketBackend(
        EMERALD,
        price_per_task=0.3,
        price_per_shot=0.002,
        aws_session=FakeBraketClient(emerald_device),
    )
    assert priced.estimate(c, 10).price == pytest.approx(0.3 + 10_000 * 0.002)
    assert BraketBackend("local").estimate(c, 10).price == 0.0


def test_circuit_statistics_describe_the_submitted_circuit() -> None:
    statistics = forte().circuit_statistics(build_ansatz("cara", 3))
    assert statistics.two_qubit_gates == sum(
        g.name == "cnot" for g in build_ansatz("cara", 3).gates
    )
    assert statistics.depth > 0 and statistics.duration_seconds is None
    assert forte().circuit_statistics(TINY).depth == 3


@pytest.mark.parametrize("faults", [["failed", "cancelled", "timeout"], ["executable_failed"]])
def test_a_failed_task_is_resubmitted_until_it_succeeds(faults) -> None:
    device = FakeAwsDevice(faults=faults)
    backend = forte(device)
    inputs, weights = sample_arguments(TINY, batch=6)
    values = backend.run(TINY, inputs, weights)
    expected = ReferenceBackend().run(TINY, inputs, weights)
    assert np.max(np.abs(values - expected)) <= shot_tolerance(1000)
    retries = len(faults)
    assert len(device.submissions) == retries + 1
    assert (backend.counts.jobs, backend.counts.retries) == (retries + 1, retries)
    assert (backend.counts.last.cost.jobs, backend.counts.last.cost.round_trips) == (
        retries + 1,
        retries + 1,
    )
    assert backend.counts.last.job_ids == (device.submissions[-1].task_id,)
    timed_out = [s.task.cancel_requested for s in device.submissions if s.fault == "timeout"]
    assert all(timed_out)  # cancelled, so as not to run besides its resubmission


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("failed", "ended FAILED: Task failed due to a device error"),
        ("cancelled", "was CANCELLED"),
        ("timeout", "was still QUEUED after poll_timeout_seconds=60; cancelled it"),
    ],
)
def test_a_task_that_keeps_failing_raises_naming_the_task_and_the_reason(fault, reason) -> None:
    device = FakeAwsDevice(faults=[fault] * 3, program_sets=False)
    backend = forte(device, max_retries=2, poll_timeout_seconds=60)
    task = "arn:aws:braket:us-east-1:123456789012:quantum-task/fake-2"
    with pytest.raises(JobError, match=f"job {task}, failed after 3 attempt.*{reason}") as e:
        backend.run(TINY, *sample_arguments(TINY, batch=1))
    assert e.value.job_id == task and reason in e.value.reason
    assert backend.counts.jobs == 3  # spent, although the call failed


def test_an_executable_braket_will_not_retry_fails_the_call_at_once() -> None:
    device = FakeAwsDevice(faults=["executable_invalid"])
    backend = forte(device)
    with pytest.raises(
        JobError, match=r"failed and was not resubmitted.*exceeds the device's depth"
    ):
        backend.run(TINY, *sample_arguments(TINY, batch=3))
    assert len(device.submissions) == 1


def test_giving_up_on_a_split_call_cancels_the_pending_tasks() -> None:
    device = FakeAwsDevice(faults=[None, "failed", None, "failed"], max_executables=5)
    backend = forte(device, max_retries=1)
    with pytest.raises(JobError, match=r"completed jobs of this call: .*fake-0"):
        backend.run(TINY, *sample_arguments(TINY, batch=15))
    cancelled = [s.task_id.rsplit("/", 1)[1] for s in device.submissions if s.task.cancel_requested]
    assert "fake-2" in cancelled and "fake-0" not in cancelled


def test_credentials_never_show(monkeypatch, caplog) -> None:
    import braket.aws

    for variable, value in SECRETS.items():
        monkeypatch.setenv(variable, value)
    caplog.set_level(logging.DEBUG)
    backend = forte(FakeAwsDevice(faults=[REFUSED]))
    with pytest.raises(JobError, match=r"could not submit job 1 of 1.*UnrecognizedClient") as e:
        backend.run(TINY, *sample_arguments(TINY, batch=2))
    shown = "".join(traceback.format_exception(e.value)) + e.value.reason + caplog.text

    class LeakyAwsDevice:  # the SDK's error quotes the credentials
        def __init__(self, arn: str, aws_session: object = None) -> None:
            raise RuntimeError(f"signature of {SECRETS['AWS_SECRET_ACCESS_KEY']} is invalid")

    monkeypatch.setattr(braket.aws, "AwsDevice", LeakyAwsDevice)
    with pytest.raises(
        JobError, match=r"could not get device .*Forte-1.*RuntimeError.*\*\*\*"
    ) as e:
        BraketBackend(FORTE)
    shown += "".join(traceback.format_exception(e.value)) + e.value.reason
    assert not any(secret in shown for secret in SECRETS.values())
    assert "***" in shown


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"device": "sv1"}, BackendInputError, "device must be one of local, local_dm or a Braket"),
        ({"device": FORTE, "shots": 0}, UnsupportedError, "needs shots: exact values"),
        ({"device": FORTE, "shots": None}, UnsupportedError, "needs shots"),
        ({"shots": -5}, BackendInputError, "shots must be an integer from 1 to"),
        ({"shots": 2.5}, BackendInputError, "got 2.5"),
        ({"device": FORTE, "shots": 20_000}, BackendInputError, "from 1 to 10000 .* got 20000"),
        ({"noise": 0.1}, UnsupportedError, "density-matrix simulator only.*device='local'"),
        ({"device": "local_dm", "noise": 1.5}, BackendInputError, r"probability in \[0, 1\]"),
        ({"device": "local_dm", "noise": "x"}, BackendInputError, "got 'x'"),
        ({"max_retries": -1}, BackendInputError, "max_retries must be an integer >= 0"),
        ({"retry_delay": "10"}, BackendInputError, "retry_delay must be a number of seconds"),
        ({"poll_timeout_seconds": 0}, BackendInputError, "poll_timeout_seconds must be > 0"),
        (
            {"price_per_shot": -1},
            BackendInputError,
            "price_per_shot must be US dollars >= 0, got -1",
        ),
        ({"price_per_task": float("nan")}, BackendInputError, "price_per_task must be a finite"),
        ({"device": EMERALD, "price_per_shot": 0.1}, BackendInputError, "give both"),
        ({"device": "arn:aws:braket:::device/nope"}, JobError, "could not get device.*NotFound"),
    ],
)
def test_bad_options_fail_at_construction(options, error, match) -> None:
    client = FakeBraketClient(FakeAwsDevice(), FakeAwsDevice(EMERALD))
    with pytest.raises(error, match=match):
        BraketBackend(aws_session=client, **options)


def test_a_device_that_runs_no_circuits_is_refused() -> None:
    from braket.device_schema import DeviceActionType

    device = FakeAwsDevice()
    device.properties.action.pop(DeviceActionType.OPENQASM)
    with pytest.raises(UnsupportedError, match="runs no gate-based OpenQASM programs"):
        forte(device)


def test_defaults_give_a_free_local_simulator_sized_by_the_sdk() -> None:
    backend = BraketBackend()
    assert (backend.device_name, backend.shots, backend.uses_program_sets) == ("local", 1000, True)
    assert backend.capabilities.max_qubits == 26 and backend.capabilities.exact
    assert BraketBackend("local_dm").capabilities.max_qubits == 13
    assert forte().capabilities.max_qubits == 36 and not forte().capabilities.exact
    assert isinstance(backend.client, BraketClient)
    assert (
        repr(backend) == "<qrkt backend 'braket' (local, 1000 shots): exact, shots, max 26 qubits>"
    )


def test_a_missing_sdk_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "braket", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'qrkt\[braket\]'"):
        BraketBackend()


def test_the_module_imports_without_the_sdk() -> None:
    code = "import sys; sys.modules['braket'] = None; import qrkt.backends.braket"
    subprocess.run([sys.executable, "-c", code], check=True)
