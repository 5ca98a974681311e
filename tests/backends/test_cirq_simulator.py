"""Backend-specific tests of ``cirq``: bit order, one sweep per run, real shot noise, seeds,
noise in the right amount, and options. The conformance suite (tests/testing) checks exact and
sampled values and gradients against reference."""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pytest

cirq = pytest.importorskip("cirq")

from qrkt.backends.base import DENSITY_MATRIX_MAX_QUBITS  # noqa: E402
from qrkt.backends.cirq_simulator import CirqBackend  # noqa: E402
from qrkt.backends.reference import ReferenceBackend  # noqa: E402
from qrkt.backends.registry import get_backend  # noqa: E402
from qrkt.circuits.ansatz import qrkt_ansatz  # noqa: E402
from qrkt.circuits.ir import circuit, input_param, ry  # noqa: E402
from qrkt.errors import BackendInputError, MissingDependencyError, UnsupportedError  # noqa: E402
from qrkt.testing import sample_arguments  # noqa: E402
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
