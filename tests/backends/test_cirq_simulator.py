"""Backend-specific tests of ``cirq``: bit order, one sweep per run, real shot noise, seeds,
noise in the right amount, and options; on Google's virtual devices and on samplers of one's
own: conformance within the shot tolerance, qubit order through routing, the device's gate set,
Google's noise, one job per call, and options. The conformance suite (tests/testing) checks
exact and sampled values and gradients of Cirq's simulators against reference."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pytest

cirq = pytest.importorskip("cirq")

from qrkt.backends.base import DENSITY_MATRIX_MAX_QUBITS  # noqa: E402
from qrkt.backends.cirq_device import device_names  # noqa: E402
from qrkt.backends.cirq_simulator import DEVICE_SHOTS, CirqBackend  # noqa: E402
from qrkt.backends.hardware import CallRecord, Cost  # noqa: E402
from qrkt.backends.reference import ReferenceBackend  # noqa: E402
from qrkt.backends.registry import get_backend  # noqa: E402
from qrkt.circuits.ansatz import qrkt_ansatz  # noqa: E402
from qrkt.circuits.ir import circuit, cnot, input_param, rx, ry  # noqa: E402
from qrkt.errors import BackendInputError, MissingDependencyError, UnsupportedError  # noqa: E402
from qrkt.testing import assert_backend_conforms, sample_arguments  # noqa: E402
from tests.backends.host_circuits import ANSATZ, FLIP, NEAR_IDENTITY  # noqa: E402

REFERENCE = ReferenceBackend()
# One moment, so one depolarizing channel: <Z> = (1 - 4p/3) cos(x).
ONE_QUBIT = circuit(1, [ry(0, input_param(0))])


@pytest.fixture
def sweeps(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every Cirq simulation qrkt starts (not those Cirq starts inside one): the method's name
    and how many sweep points it got."""
    calls: list[tuple[str, int]] = []
    depth = [0]

    def counting(cls: type, method: str) -> Callable[..., object]:
        original = getattr(cls, method)

        def run(self: object, program: object, *args: object, **kwargs: object) -> object:
            if depth[0] == 0:
                params = args[1] if method == "simulate_expectation_values_sweep" else args[0]
                calls.append((method, len(list(params))))  # type: ignore[call-overload]
            depth[0] += 1
            try:
                return original(self, program, *args, **kwargs)
            finally:
                depth[0] -= 1

        return run

    for cls in (cirq.Simulator, cirq.DensityMatrixSimulator):
        for method in ("simulate_expectation_values_sweep", "simulate_sweep_iter"):
            monkeypatch.setattr(cls, method, counting(cls, method))
    return calls


@pytest.mark.parametrize("shots", [None, 100])
def test_x_on_qubit_zero_reads_minus_one_on_z_zero(shots: int | None) -> None:
    values = CirqBackend(shots=shots, seed=0).run(FLIP, np.full((4, 1), np.pi), [0.0])
    np.testing.assert_allclose(values, [[-1.0, 1.0, 1.0]] * 4, atol=1e-12)


def test_a_run_and_a_parameter_shift_gradient_are_one_sweep_each(sweeps: list) -> None:
    backend = CirqBackend()
    x, w = sample_arguments(ANSATZ, batch=5)
    backend.run(ANSATZ, x, w)
    backend.vjp(ANSATZ, x, w, np.ones((5, 3)))
    k = len(list(ANSATZ.params()))
    assert sweeps == [
        ("simulate_expectation_values_sweep", 5),
        ("simulate_expectation_values_sweep", 2 * k * 5),
    ]
    assert (backend.counts.calls, backend.counts.circuits) == (2, 5 + 2 * k * 5)


def test_shot_estimates_have_real_sampling_noise_within_the_shot_tolerance(sweeps: list) -> None:
    shots = 2000
    x, w = sample_arguments(ANSATZ, batch=8)
    exact = REFERENCE.run(ANSATZ, x, w)
    backend = CirqBackend(shots=shots, seed=3)
    sampled = backend.run(ANSATZ, x, w)
    assert sweeps == [("simulate_sweep_iter", 8)]
    tolerance = 5 * np.sqrt((1 - exact**2) / shots) + 1e-9
    assert np.all(np.abs(sampled - exact) <= tolerance)
    assert not np.allclose(sampled, exact, atol=1e-6)  # sampled, not exact plus nothing
    assert np.allclose(sampled * shots, np.round(sampled * shots))  # (+1 count - -1 count) / shots
    assert backend.counts.shots == 8 * shots


def test_same_seed_same_results_other_seed_other_results() -> None:
    x, w = sample_arguments(ANSATZ, batch=4)
    first = CirqBackend(shots=200, seed=11)
    again = CirqBackend(shots=200, seed=11)
    np.testing.assert_array_equal(first.run(ANSATZ, x, w), again.run(ANSATZ, x, w))
    np.testing.assert_array_equal(first.run(ANSATZ, x, w), first.run(ANSATZ, x, w))
    other = CirqBackend(shots=200, seed=12).run(ANSATZ, x, w)
    assert not np.array_equal(first.run(ANSATZ, x, w), other)


# --- noise ------------------------------------------------------------------------------------


def test_exact_noisy_values_are_the_depolarizing_channel_on_a_density_matrix(
    sweeps: list,
) -> None:
    p = 0.3
    x = np.array([[0.0], [0.9], [2.5]])
    values = CirqBackend(noise=p).run(ONE_QUBIT, x, np.zeros(0))
    np.testing.assert_allclose(values, (1 - 4 * p / 3) * np.cos(x), atol=1e-12)
    assert sweeps == [("simulate_expectation_values_sweep", 3)]


def test_noise_shrinks_z_towards_zero_and_shots_sample_the_noisy_state() -> None:
    x, w = np.full((6, 3), 0.1), np.zeros(1)
    exact = REFERENCE.run(NEAR_IDENTITY, x, w)
    noisy = CirqBackend(noise=0.02).run(NEAR_IDENTITY, x, w)
    assert np.all(noisy < exact - 0.05)
    shots = 4000
    sampled = CirqBackend(noise=0.02, shots=shots, seed=1).run(NEAR_IDENTITY, x, w)
    np.testing.assert_allclose(sampled, noisy, atol=5 / np.sqrt(shots))


def test_a_cirq_noise_model_is_accepted() -> None:
    model = cirq.ConstantQubitNoiseModel(cirq.bit_flip(0.25))
    values = CirqBackend(noise=model).run(ONE_QUBIT, np.zeros((1, 1)), np.zeros(0))
    np.testing.assert_allclose(values, [[0.5]], atol=1e-12)


def test_noisy_runs_are_limited_to_a_density_matrix_that_fits() -> None:
    wide = qrkt_ansatz(DENSITY_MATRIX_MAX_QUBITS + 1)
    x, w = sample_arguments(wide, batch=1)
    with pytest.raises(UnsupportedError, match=f"at most {DENSITY_MATRIX_MAX_QUBITS} qubits with"):
        CirqBackend(noise=0.01).run(wide, x, w)
    CirqBackend().check_circuit(wide)  # noiseless: fine


# --- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shots": 0}, "shots must be an integer from 1 to .*, or None for exact values, got 0"),
        ({"shots": 1.5}, "shots must be an integer from 1 to"),
        (
            {"shots": 2**63},
            rf"from 1 to {2**63 - 1} \(NumPy draws the counts as int64\).*got {2**63}; use fewer",
        ),
        ({"seed": "7"}, "seed must be an integer or None, got '7'"),
        ({"seed": 2**70}, rf"got {2**70}; give a seed from 0 to 4294967295"),
        ({"seed": -1}, "seed must be an integer or None, got -1; give a seed from 0 to"),
        ({"noise": 1.5}, r"noise must be a depolarizing probability in \[0, 1\].*got 1.5"),
        ({"noise": "depolarizing"}, "noise must be .* got 'depolarizing'"),
    ],
)
def test_bad_options_are_rejected(options: dict, message: str) -> None:
    with pytest.raises(BackendInputError, match=message):
        CirqBackend(**options)


def test_missing_cirq_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cirq", None)
    with pytest.raises(MissingDependencyError, match=r"the cirq backend needs cirq.*qrkt\[cirq\]"):
        CirqBackend()


def test_registered_with_its_capabilities() -> None:
    backend = get_backend("cirq", shots=10, seed=1)
    assert isinstance(backend, CirqBackend)
    assert backend.shots_per_circuit == 10
    assert get_backend("cirq").shots_per_circuit == 0
    capabilities = backend.capabilities
    assert (capabilities.autodiff, capabilities.exact, capabilities.shots) == (False, True, True)
    assert capabilities.noise
    assert repr(get_backend("cirq", shots=10, noise=0.1)).startswith(
        "<qrkt backend 'cirq' (10 shots, noisy)"
    )


# --- devices and samplers ---------------------------------------------------------------------

needs_google = pytest.mark.skipif(
    importlib.util.find_spec("cirq_google") is None, reason="needs qrkt[google] (cirq-google)"
)
# X on IR qubit 0, then a CNOT ring: |000> -> |100> -> |110> -> |111> -> |011>. A triangle
# does not embed in a grid, so routing moves qubits.
RING_OF_THREE = circuit(3, [rx(0, input_param(0)), cnot(0, 1), cnot(1, 2), cnot(2, 0)], n_weights=0)


class CountingSampler(cirq.Sampler):
    """``cirq.Simulator`` that records how many sweep points each ``run_sweep`` got."""

    def __init__(self) -> None:
        self.simulator = cirq.Simulator(seed=5)
        self.sweeps: list[int] = []

    def run_sweep(
        self, program: cirq.AbstractCircuit, params: cirq.Sweepable, repetitions: int = 1
    ) -> Sequence[cirq.Result]:
        self.sweeps.append(len(list(cirq.to_resolvers(params))))
        return self.simulator.run_sweep(program, params, repetitions)


def rainbow() -> cirq.Device:
    from cirq_google.engine import create_device_from_processor_id

    return create_device_from_processor_id("rainbow")


@needs_google
def test_the_noiseless_virtual_device_conforms_within_the_shot_tolerance() -> None:
    assert_backend_conforms(CirqBackend(device="rainbow-noiseless", shots=1024, seed=7))


@needs_google
@pytest.mark.parametrize("device", ["rainbow-noiseless", "rainbow"])
def test_qubit_order_holds_wherever_placement_and_routing_put_the_qubits(device: str) -> None:
    backend = CirqBackend(device=device, shots=2000, seed=0)
    flip = backend.run(FLIP, np.full((2, 1), np.pi), [0.0])
    ring = backend.run(RING_OF_THREE, np.full((2, 1), np.pi), np.zeros(0))
    values, expected = np.concatenate([flip, ring]), [[-1, 1, 1]] * 2 + [[1, -1, -1]] * 2
    if device.endswith("noiseless"):
        np.testing.assert_array_equal(values, expected)
    else:  # noise moves the values towards 0, but not past it
        assert np.all(values * expected > 0.5)


@needs_google
def test_the_device_circuit_is_in_the_device_gate_set_with_symbolic_parameters() -> None:
    import cirq_google

    backend = CirqBackend(device="rainbow", shots=100)
    for c in (ANSATZ, RING_OF_THREE):
        program = backend.program(c)
        rainbow().validate_circuit(program)
        cirq_google.CIRCUIT_SERIALIZER.serialize(program)  # Quantum Engine accepts it
        assert {type(op.gate) for op in program.all_operations()} <= {
            cirq.PhasedXZGate,
            cirq.ZPowGate,
            cirq.ISwapPowGate,
            cirq.MeasurementGate,
        }
        assert len(program[-1]) == c.n_qubits and all(map(cirq.is_measurement, program[-1]))
        assert cirq.parameter_names(program) <= {p.name for p in c.params()}
        statistics = backend.circuit_statistics(c)
        assert statistics is not None and statistics.depth == len(program)
        assert statistics.two_qubit_gates == sum(
            isinstance(op.gate, cirq.ISwapPowGate) for op in program.all_operations()
        )
    assert cirq.parameter_names(backend.program(ANSATZ)) == {p.name for p in ANSATZ.params()}
    ring = backend.circuit_statistics(qrkt_ansatz(4))
    assert ring is not None and ring.two_qubit_gates == 8  # placed on a square: no SWAPs


@needs_google
def test_google_noise_moves_values_towards_zero_and_keeps_them_correlated() -> None:
    shots = 4000
    backend = CirqBackend(device="rainbow", shots=shots, seed=1)
    near = backend.run(NEAR_IDENTITY, np.full((2, 3), 0.1), np.zeros(1))
    assert np.all(near < REFERENCE.run(NEAR_IDENTITY, np.full((2, 3), 0.1), np.zeros(1)) - 0.03)
    x, w = sample_arguments(ANSATZ, batch=8)
    exact, noisy = REFERENCE.run(ANSATZ, x, w), backend.run(ANSATZ, x, w)
    assert np.corrcoef(noisy.ravel(), exact.ravel())[0, 1] > 0.9
    assert np.abs(noisy).mean() < np.abs(exact).mean()
    assert np.sqrt(np.mean((noisy - exact) ** 2)) > 5 / np.sqrt(shots)  # beyond shot noise


@needs_google
def test_a_call_is_one_job_recorded_with_its_cost_and_the_same_call_repeats() -> None:
    backend = CirqBackend(device="rainbow-noiseless", shots=50, seed=3)
    x, w = sample_arguments(ANSATZ, batch=6)
    first = backend.run(ANSATZ, x, w)
    record = backend.counts.last
    assert len(record.job_ids) == 1 and record.job_ids[0].startswith("projects/")
    assert record.cost == Cost(
        calls=1, jobs=1, round_trips=1, parameter_sets=6, executions=6, shots=300
    )
    assert backend.estimate(ANSATZ, 6) == record.cost and backend.pricing is None
    np.testing.assert_array_equal(backend.run(ANSATZ, x, w), first)
    assert backend.counts.last.job_ids != record.job_ids
    # Quantum Engine's limit of repetitions per job splits a call, and only then.
    assert CirqBackend(device="rainbow", shots=1_000_000).estimate(ANSATZ, 12).jobs == 3
    assert backend.target is not None
    backend.target = replace(backend.target, max_repetitions=4 * 50)
    split = backend.run(ANSATZ, x, w)
    assert len(set(backend.counts.last.job_ids)) == backend.counts.last.cost.jobs == 2
    np.testing.assert_allclose(split, REFERENCE.run(ANSATZ, x, w), atol=5 / np.sqrt(50))


@pytest.mark.parametrize("with_device", [False, True])
def test_a_sampler_of_yours_runs_each_call_as_one_sweep(with_device: bool) -> None:
    if with_device and importlib.util.find_spec("cirq_google") is None:
        pytest.skip("needs qrkt[google] (cirq-google) for a Google device")
    sampler = CountingSampler()
    backend = CirqBackend(sampler=sampler, shots=2000, device=rainbow() if with_device else None)
    x, w = sample_arguments(ANSATZ, batch=5)
    values = backend.run(ANSATZ, x, w)
    np.testing.assert_allclose(values, REFERENCE.run(ANSATZ, x, w), atol=5 / np.sqrt(2000))
    backend.vjp(ANSATZ, x, w, np.ones((5, 3)))
    k = len(list(ANSATZ.params()))
    assert sampler.sweeps == [5, 2 * k * 5]
    assert backend.counts.last == CallRecord(backend.estimate(ANSATZ, 2 * k * 5), ("sweep-1",))
    assert (backend.circuit_statistics(ANSATZ) is None) != with_device
    assert repr(backend).startswith("<qrkt backend 'cirq' (2000 shots, sampler CountingSampler)")


def test_a_device_or_sampler_without_shots_takes_the_default_shots() -> None:
    assert CirqBackend(sampler=cirq.Simulator()).shots == DEVICE_SHOTS == 4096


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sampler": "simulator", "shots": 10}, "sampler must be a cirq.Sampler.* got str"),
        ({"device": 3, "shots": 10}, r"device must be a device name \(see .* got int"),
        ({"device": cirq.UNCONSTRAINED_DEVICE, "shots": 10}, "states no qubits and couplings"),
        ({"device": "rainbow", "shots": 10, "noise": 0.1}, "noise applies to Cirq's simulators"),
        (
            {"sampler": cirq.Simulator(), "shots": 10, "seed": 1},
            "seed=1 seeds the samplers qrkt builds; seed yours itself",
        ),
        (
            {"device": "rainbow", "sampler": cirq.Simulator(), "shots": 10},
            "names a virtual device with a sampler of its own",
        ),
        (
            {"device": "rainbow", "shots": 5_000_001},
            r"from 1 to 5000000 \(Quantum Engine's repetitions per job\)",
        ),
    ],
)
def test_bad_device_and_sampler_options_are_rejected(options: dict, message: str) -> None:
    if options.get("shots", 0) > 10**6:
        pytest.importorskip("cirq_google")
    with pytest.raises(BackendInputError, match=message):
        CirqBackend(**options)


@needs_google
def test_a_processor_sampler_brings_its_processor_device_and_job_ids() -> None:
    from cirq_google.engine import create_noiseless_virtual_engine_from_latest_templates

    processor = create_noiseless_virtual_engine_from_latest_templates().get_processor("weber")
    backend = CirqBackend(sampler=processor.get_sampler(), shots=100)
    assert backend.target is not None and backend.target.device is processor.get_device()
    assert backend.target.max_repetitions == 5_000_000
    values = backend.run(FLIP, np.full((3, 1), np.pi), [0.0])
    np.testing.assert_array_equal(values, [[-1.0, 1.0, 1.0]] * 3)
    assert backend.counts.last.job_ids[0].startswith("projects/fake_project/processors/weber/")


@needs_google
def test_unknown_device_names_list_the_known_ones() -> None:
    with pytest.raises(BackendInputError, match="known: rainbow, rainbow-noiseless, weber, weber-"):
        CirqBackend(device="willow", shots=10)
    assert set(device_names()) >= {"rainbow", "weber", "rainbow-noiseless", "weber-noiseless"}


def test_named_devices_without_cirq_google_name_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cirq_google", None)
    with pytest.raises(MissingDependencyError, match=r"rainbow.*qrkt\[google\]"):
        CirqBackend(device="rainbow", shots=10)


@needs_google
def test_a_noisy_device_is_limited_to_a_density_matrix_that_fits() -> None:
    wide = qrkt_ansatz(DENSITY_MATRIX_MAX_QUBITS + 1)
    x, w = sample_arguments(wide, batch=1)
    with pytest.raises(UnsupportedError, match=f"at most {DENSITY_MATRIX_MAX_QUBITS} qubits"):
        CirqBackend(device="rainbow", shots=10).run(wide, x, w)
    noisy, noiseless = (CirqBackend(device=d, shots=10) for d in ("rainbow", "rainbow-noiseless"))
    assert (noisy.capabilities.noise, noisy.capabilities.max_qubits) == (True, 12)
    assert (noiseless.capabilities.noise, noiseless.capabilities.max_qubits) == (False, 20)
