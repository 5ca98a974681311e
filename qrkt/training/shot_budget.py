"""Shots by need: the fewest shots that keep a model's predictions what exact values give.

Every shot is paid for on a device, and a classifier needs far fewer than the usual 4,096 to
keep its predictions (a digits model kept 99 % of them at 256, ``benchmarks/shots.py``).
:func:`choose_shots` measures it for the model and samples at hand, before anything is
submitted: it runs the model on the exact simulator, then again with each layer's values
replaced by shot estimates, for 64, 128, ... shots, and takes the fewest shots whose
predictions agree with the exact ones on at least ``agreement`` of the samples, in each of
``repeats`` draws.

The shot estimates are drawn as a device's would be, without the device's noise: for
``<Z_j> = v``, ``1 - 2 k / shots`` with ``k ~ Binomial(shots, (1 - v) / 2)``, each observable
drawn on its own (a sampler reads all of them from the same shots, which correlates their
errors but leaves each one's distribution as here). Device noise adds bias that no shot count
removes: compare the evaluation's parity report.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import jax
import numpy as np

from qrkt.backends.base import Backend
from qrkt.backends.registry import get_backend
from qrkt.circuits.ir import Circuit
from qrkt.errors import TrainingError, check_int
from qrkt.training.parallel import DataParallel
from qrkt.training.steps import eval_step

CANDIDATES = tuple(2**k for k in range(6, 15))  # 64 ... 16,384
"""Shot counts tried, fewest first."""
EXACT = "reference"  # NumPy: safe inside the model's host callbacks (see device_evaluation)


@dataclass(frozen=True)
class ShotChoice:
    """The shots chosen, and the agreement with exact predictions measured for each count tried.

    Attributes:
      shots: the fewest shots that met ``agreement``; the largest tried if none did.
      agreement: the fraction of samples whose prediction had to stay the exact one.
      samples: samples measured on; repeats: draws per shot count.
      measured: ``(shots, worst agreement over the draws)`` per count tried, in order.
      met: whether ``shots`` met the target.
    """

    shots: int
    agreement: float
    samples: int
    repeats: int
    measured: tuple[tuple[int, float], ...]
    met: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def report(self) -> str:
        tried = ", ".join(f"{shots}: {agreement:.1%}" for shots, agreement in self.measured)
        verdict = "the fewest that keep" if self.met else "the most tried; none kept"
        return (
            f"{self.shots} shots per circuit, {verdict} {self.agreement:.1%} of {self.samples} "
            f"exact predictions in each of {self.repeats} draws (worst draw per count: {tried})"
        )


class _SampledExact(Backend):
    """Exact values with binomial shot noise (the module's docs). ``shots`` and ``draw`` may
    change between runs, so that one compiled model serves every count and draw. A call's
    noise is a function of its arguments, the shots and the draw, so a measurement does not
    depend on the order in which XLA runs the model's callbacks."""

    name = "sampled-exact"

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.exact = get_backend(EXACT)
        self.capabilities = self.exact.capabilities
        self.seed = seed
        self.shots = CANDIDATES[0]
        self.draw = 0

    def _run(self, circuit: Circuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        values = self.exact.run(circuit, inputs, weights)
        key = hashlib.sha256(inputs.tobytes() + weights.tobytes()).digest()[:8]
        rng = np.random.default_rng([self.seed, self.shots, self.draw, *key])
        flips = rng.binomial(self.shots, np.clip((1 - values) / 2, 0, 1))
        return 1 - 2 * flips / self.shots


def choose_shots(
    model: Any,
    params: Any,
    inputs: np.ndarray,
    labels: np.ndarray,
    *,
    agreement: float = 0.99,
    repeats: int = 3,
    seed: int = 0,
) -> ShotChoice:
    """The fewest shots (of :data:`CANDIDATES`) whose predictions agree with exact ones.

    Args:
      model: the model's configuration (a ``ModelConfig``); params: its parameters.
      inputs, labels: the samples to measure on.
      agreement: the fraction of predictions that must stay the exact ones, in every draw.
      repeats: draws per shot count.
      seed: of the draws.
    """
    if not 0 < agreement <= 1:
        raise TrainingError(
            f"the shot agreement target must be in (0, 1], got {agreement!r}; e.g. 0.99 keeps "
            "99 % of the exact predictions"
        )
    check_int("repeats", repeats, minimum=1, error=TrainingError)
    parallel = DataParallel.over(jax.devices()[:1])
    exact = np.asarray(eval_step(model, parallel, EXACT, ())(params, inputs, labels)[1])
    sampled = _SampledExact(seed)
    step = eval_step(model, parallel, sampled, ())
    measured: list[tuple[int, float]] = []
    for shots in CANDIDATES:
        sampled.shots = shots
        agreements = []
        for draw in range(repeats):
            sampled.draw = draw
            predictions = np.asarray(step(params, inputs, labels)[1]).argmax(1)
            agreements.append(float(np.mean(predictions == exact.argmax(1))))
        worst = min(agreements)
        measured.append((shots, worst))
        if worst >= agreement:
            return ShotChoice(shots, agreement, len(labels), repeats, tuple(measured), True)
    return ShotChoice(CANDIDATES[-1], agreement, len(labels), repeats, tuple(measured), False)
