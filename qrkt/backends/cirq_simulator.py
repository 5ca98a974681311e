"""``cirq``: the circuit on Cirq's simulators, exact, sampled or noisy.

Every :meth:`~qrkt.backends.base.Backend.run` is ONE parameter sweep over the whole batch
(and, for a parameter-shift gradient, over every shifted point), never a loop over samples.

- Exact (``shots=None``): ``simulate_expectation_values_sweep`` of ``cirq.Simulator`` in
  complex128; with noise, of ``cirq.DensityMatrixSimulator``, so noisy values are exact too.
- Shots: the final state of every sweep point (``simulate_sweep_iter``), then ``shots`` basis
  states per point drawn from its probabilities by a NumPy generator seeded with ``seed``
  afresh on every run, so the same call gives the same results. Not ``run_sweep`` with
  measurements: with noise channels Cirq re-simulates the whole circuit for every repetition
  (4 minutes for 64 points x 1000 shots at 4 qubits, against a second this way).
- Noise (``noise=0.01`` or any ``cirq.NoiseModel``): applied to the circuit after every
  moment (:func:`~qrkt.circuits.cirq_convert.to_cirq`); a number ``p`` is a depolarizing
  channel of probability ``p`` on every qubit.

Gradients come from the parameter-shift rule (:mod:`qrkt.backends.parameter_shift`).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from qrkt.backends.base import (
    DENSITY_MATRIX_MAX_QUBITS,
    Backend,
    Capabilities,
    check_seed,
    check_shots,
)
from qrkt.backends.readout import z_sign_matrix
from qrkt.circuits.cirq_convert import CirqCircuit, require_cirq, to_cirq
from qrkt.circuits.ir import Circuit
from qrkt.errors import BackendInputError, UnsupportedError

if TYPE_CHECKING:
    import cirq

MAX_SHOTS = np.iinfo(np.int64).max
"""The most shots of one parameter set: NumPy's multinomial draws int64 counts (the memory of
one draw is one count per basis state, whatever the shots)."""


class CirqBackend(Backend):
    """Expectation values from Cirq's simulators: exact, from ``shots`` samples, or noisy.

    Args:
      shots: samples per parameter set; ``None`` for exact expectation values.
      seed: seeds the sampling, so that the same call gives the same results.
      noise: a depolarizing probability in [0, 1] applied to every qubit after every moment,
        or a ``cirq.NoiseModel``; ``None`` for a noiseless circuit.
    """

    name = "cirq"
    capabilities = Capabilities(autodiff=False, exact=True, shots=True, noise=True, max_qubits=20)

    def __init__(
        self,
        shots: int | None = None,
        seed: int | None = None,
        noise: float | cirq.NoiseModel | None = None,
    ) -> None:
        super().__init__()
        require_cirq(f"the {self.name} backend")
        check_shots(shots, maximum=MAX_SHOTS, limit="NumPy draws the counts as int64")
        check_seed(seed)
        self.shots = shots
        self.seed = seed
        self.noise = noise_model(noise)
        self._compiled: dict[Circuit, CirqCircuit] = {}

    @property
    def shots_per_circuit(self) -> int:
        return self.shots or 0

    def check_circuit(self, circuit: Circuit) -> None:
        super().check_circuit(circuit)
        if self.noise is not None and circuit.n_qubits > DENSITY_MATRIX_MAX_QUBITS:
            raise UnsupportedError(
                f"noisy runs simulate a density matrix (4^n entries), so backend {self.name!r} "
                f"runs at most {DENSITY_MATRIX_MAX_QUBITS} qubits with noise, got a "
                f"{circuit.n_qubits}-qubit circuit; use fewer qubits or noise=None"
            )

    def compiled(self, circuit: Circuit) -> CirqCircuit:
        """The Cirq circuit this backend runs for ``circuit`` (with its noise), built once."""
        if circuit not in self._compiled:
            self._compiled[circuit] = to_cirq(circuit, self.noise)
        return self._compiled[circuit]

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        import cirq

        compiled = self.compiled(circuit)
        sweep = compiled.sweep(inputs, weights)
        simulator_class = cirq.Simulator if self.noise is None else cirq.DensityMatrixSimulator
        simulator = simulator_class(dtype=np.complex128)
        if self.shots is None:
            values = simulator.simulate_expectation_values_sweep(
                compiled.circuit, list(compiled.observables), sweep, qubit_order=compiled.qubits
            )
            return np.asarray(values, dtype=np.complex128).real
        rng = np.random.default_rng(self.seed)
        signs = z_sign_matrix(circuit)
        states = simulator.simulate_sweep_iter(compiled.circuit, sweep, qubit_order=compiled.qubits)
        counts = (rng.multinomial(self.shots, _probabilities(state)) for state in states)
        return np.stack([c @ signs for c in counts]) / self.shots

    def __repr__(self) -> str:
        mode = "exact" if self.shots is None else f"{self.shots} shots"
        noise = "" if self.noise is None else ", noisy"
        return f"<qrkt backend {self.name!r} ({mode}{noise}): {self.capabilities.summary()}>"


def noise_model(noise: object) -> cirq.NoiseModel | None:
    """A backend's ``noise`` option as a Cirq noise model: a probability ``p`` in [0, 1] is a
    depolarizing channel of ``p`` on every qubit after every moment."""
    import cirq

    if noise is None or isinstance(noise, cirq.NoiseModel):
        return noise
    if isinstance(noise, numbers.Real) and not isinstance(noise, bool) and 0 <= noise <= 1:
        return cirq.ConstantQubitNoiseModel(cirq.depolarize(float(noise)))
    raise BackendInputError(
        f"noise must be a depolarizing probability in [0, 1], a cirq.NoiseModel or None, got "
        f"{noise!r}; e.g. noise=0.01, or noise=cirq.ConstantQubitNoiseModel(cirq.bit_flip(0.01))"
    )


def _probabilities(result: cirq.SimulationTrialResult) -> np.ndarray:
    """Basis-state probabilities of a final state vector or density matrix, qubit 0 first,
    normalized against rounding so that they can be sampled from."""
    if hasattr(result, "final_density_matrix"):
        probabilities = np.clip(np.real(np.diagonal(result.final_density_matrix)), 0.0, None)
    else:
        probabilities = np.abs(result.final_state_vector) ** 2
    return probabilities / probabilities.sum()
